/**
 * Password guessing by real tools between network namespaces, recorded with tcpdump in A and read
 * back with `main.ts --read` at default settings. B runs a real OpenSSH sshd and a real vsftpd,
 * each with a configuration (and sshd a host key) this test writes in a temporary directory;
 * hydra and medusa in A try a short list of wrong passwords for one user against each, and every
 * run must raise brute_force naming A as the attacker, B as the victim and the service's port.
 * Half-open handshakes (hping3 SYNs to sshd, each SYN-ACK refused by the kernel with a bare RST)
 * and a few ordinary successful sessions (anonymous FTP downloads with curl) raise no brute_force.
 *
 * sshd needs its privilege-separation directory /run/sshd: it is made on a tmpfs mounted over
 * /run inside sshd's own mount namespace (`ip netns exec` gives each command one), so nothing
 * outside the test changes.
 */
import assert from "node:assert/strict";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import {
  type AlertExpectation,
  analyseFile,
  checkAlerts,
  DETECTION_TOOLS,
  recordWhile,
  starts,
} from "./support.ts";

const TOOLS = [...DETECTION_TOOLS, "sshd", "ssh-keygen", "vsftpd", "hydra", "medusa", "ss"];

const unavailable = await canUseNamespaces(TOOLS);
if (unavailable !== null) {
  console.log(`skip: detection tests with real password guessing (${unavailable})`);
}

/** A user that does not exist on the test machine. */
const USER = "anomaly-guess";
/**
 * Wrong passwords per service. The tools try several per session (hydra about 4 against sshd,
 * medusa about 3; vsftpd drops a session after 3 failures, and medusa's ftp module tries one):
 * enough for well over the 10 sessions of the default threshold, few enough to take seconds.
 */
const SSH_PASSWORDS = 80, FTP_PASSWORDS = 45;

Deno.test({
  name: "hydra and medusa guessing SSH and FTP passwords raise brute_force A -> B on the port",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create();
    const directory = await net.makeTemporaryDirectory();
    const a = net.a.ipv4, b = net.b.ipv4;
    const wordlist = async (count: number) => {
      const path = `${directory}/passwords-${count}.txt`;
      const words = Array.from({ length: count }, (_, i) => `wrong-password-${i + 1}`);
      await Deno.writeTextFile(path, words.join("\n") + "\n");
      return path;
    };
    const sshWords = await wordlist(SSH_PASSWORDS), ftpWords = await wordlist(FTP_PASSWORDS);
    await startSshd(net, directory);
    await startVsftpd(net, directory);

    /** Runs `argv` in A (inside `directory`: hydra writes a restore file there) and checks. */
    async function guess(name: string, argv: string[], port: number, service: string) {
      const pcap = `${directory}/${name}.pcap`;
      const { result } = await recordWhile(
        net.a,
        pcap,
        () =>
          net.exec(net.a.ns, ["env", "-C", directory, ...argv], {
            timeoutS: 90,
            allowFailure: true,
          }),
      );
      // Both tools exit 0 after trying every password, found or not; a failure to connect
      // shows in their output.
      const output = `${result.stdout}\n${result.stderr}`;
      assert.doesNotMatch(output, /could not connect|Connection refused|ERROR/i, output);
      const run = await analyseFile(pcap, `${directory}/log-${name}`);
      const expected: AlertExpectation = {
        required: [{
          detector: "brute_force",
          src_ip: a,
          dest_ip: b,
          dest_port: port,
          proto: "TCP",
          message: new RegExp(
            `^${a.replaceAll(".", "\\.")} made \\d+ short sessions to ` +
              `${service} on ${b.replaceAll(".", "\\.")} in `,
          ),
        }],
        // Tools open sessions in parallel bursts: over 100 packets in a second from A or B.
        allowed: ["high_packet_rate"],
        forbidden: [{ detector: "brute_force", src_ip: b }],
      };
      checkAlerts(run, expected);
      const [alert] = starts(run).filter((s) => s.detection.detector === "brute_force");
      console.log(`${name}: ${alert!.detection.message}`);
    }

    // -w 5: hydra's ssh module otherwise idles 32 s between rounds of connections.
    const hydra = (service: string, words: string) => [
      "hydra",
      "-I",
      "-t",
      "4",
      "-w",
      "5",
      "-l",
      USER,
      "-P",
      words,
      `${service}://${b}`,
    ];
    const medusa = (module: string, words: string) => [
      "medusa",
      "-h",
      b,
      "-u",
      USER,
      "-P",
      words,
      "-M",
      module,
      "-t",
      "4",
    ];

    await t.step("hydra against sshd: brute_force A -> B:22", async () => {
      await guess("hydra-ssh", hydra("ssh", sshWords), 22, "SSH");
    });
    await t.step("medusa against sshd: brute_force A -> B:22", async () => {
      await guess("medusa-ssh", medusa("ssh", sshWords), 22, "SSH");
    });
    await t.step("hydra against vsftpd: brute_force A -> B:21", async () => {
      await guess("hydra-ftp", hydra("ftp", ftpWords), 21, "FTP");
    });
    await t.step("medusa against vsftpd: brute_force A -> B:21", async () => {
      await guess("medusa-ftp", medusa("ftp", ftpWords), 21, "FTP");
    });

    await t.step("SYNs from hping3 to sshd, refused by A's kernel: no brute_force", async () => {
      // sshd answers each SYN with a SYN-ACK; A's kernel, which sent no SYN, answers that with
      // a bare RST: half-open handshakes, as a SYN scan or a SYN flood leaves, are no sessions.
      const pcap = `${directory}/hping3-syn.pcap`;
      await recordWhile(
        net.a,
        pcap,
        () =>
          net.exec(net.a.ns, ["hping3", "-q", "-S", "-p", "22", "-c", "50", "-i", "u10000", b], {
            timeoutS: 20,
            allowFailure: true,
          }),
      );
      const run = await analyseFile(pcap, `${directory}/log-hping3-syn`);
      const guessing = starts(run).filter((s) => s.detection.detector === "brute_force");
      assert.deepEqual(guessing, [], "half-open handshakes are no sessions");
      assert.ok(run.final.stats.decoder.tcp >= 150, "SYN, SYN-ACK and RST of each were recorded");
    });

    await t.step("a few anonymous FTP downloads: no brute_force", async () => {
      const pcap = `${directory}/ftp-downloads.pcap`;
      await recordWhile(net.a, pcap, async () => {
        for (let i = 0; i < 5; i++) {
          const { stdout } = await net.exec(
            net.a.ns,
            ["curl", "-sS", "--max-time", "10", `ftp://${b}/file.txt`],
            { timeoutS: 15 },
          );
          assert.equal(stdout, "anonymous download\n");
        }
      });
      const run = await analyseFile(pcap, `${directory}/log-ftp-downloads`);
      const guessing = starts(run).filter((s) => s.detection.detector === "brute_force");
      assert.deepEqual(guessing, [], "successful sessions are no password guessing");
    });
  },
});

/** Starts sshd in B with a host key and configuration made in `directory`; waits for it. */
async function startSshd(net: TestNetwork, directory: string): Promise<void> {
  const key = `${directory}/ssh_host_ed25519_key`;
  await net.exec(net.b.ns, ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key]);
  const config = `${directory}/sshd_config`;
  await Deno.writeTextFile(
    config,
    [
      `ListenAddress ${net.b.ipv4}`,
      "Port 22",
      `HostKey ${key}`,
      "PidFile none",
      "UsePAM no",
      "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin no",
      // The tools connect several at a time; sshd's default starts refusing beyond 10.
      "MaxStartups 100",
      "",
    ].join("\n"),
  );
  const script = "mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && " +
    `exec /usr/sbin/sshd -D -e -f ${config}`;
  const sshd = net.spawn(net.b.ns, ["sh", "-c", script], { timeoutS: 300 });
  await sshd.waitForLine(/Server listening on/, 10_000);
}

/** Starts vsftpd in B (local logins through PAM, and anonymous downloads); waits for it. */
async function startVsftpd(net: TestNetwork, directory: string): Promise<void> {
  const root = `${directory}/ftp-root`, empty = `${directory}/ftp-empty`;
  await Deno.mkdir(root, { mode: 0o755 });
  await Deno.mkdir(empty, { mode: 0o755 });
  await Deno.chmod(directory, 0o755); // vsftpd's unprivileged side must reach the anonymous root
  await Deno.writeTextFile(`${root}/file.txt`, "anonymous download\n");
  await Deno.chmod(`${root}/file.txt`, 0o644);
  const config = `${directory}/vsftpd.conf`;
  await Deno.writeTextFile(
    config,
    [
      "listen=YES",
      `listen_address=${net.b.ipv4}`,
      "background=NO",
      "anonymous_enable=YES",
      `anon_root=${root}`,
      "no_anon_password=YES",
      "local_enable=YES",
      "pam_service_name=vsftpd",
      `secure_chroot_dir=${empty}`,
      "seccomp_sandbox=NO",
      "isolate=NO",
      "isolate_network=NO",
      "pasv_enable=YES",
      "pasv_min_port=40000",
      "pasv_max_port=40100",
      "",
    ].join("\n"),
  );
  await Deno.chmod(config, 0o600);
  net.spawn(net.b.ns, ["/usr/sbin/vsftpd", config], { timeoutS: 300 });
  await net.exec(net.b.ns, [
    "sh",
    "-c",
    "until ss -ltnH | grep -q ':21 '; do sleep 0.1; done",
  ], { timeoutS: 10 });
}
