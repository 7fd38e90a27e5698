/**
 * RESP as the Redis output writes and reads it: commands as arrays of bulk strings (lengths in
 * bytes, not characters), and each reply kind read from the front of a buffer, or not yet.
 */
import assert from "node:assert/strict";
import { encodeCommand, parseReply } from "../../../core/outputs/resp.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("encodeCommand() writes an array of bulk strings with byte lengths", () => {
  assert.equal(
    new TextDecoder().decode(encodeCommand(["RPUSH", "k", '{"a":"é"}'])),
    '*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$10\r\n{"a":"é"}\r\n',
  );
});

Deno.test("parseReply() reads simple strings, integers, errors and bulk strings", () => {
  assert.deepEqual(parseReply(bytes("+OK\r\n")), {
    reply: { error: false, value: "OK" },
    length: 5,
  });
  assert.deepEqual(parseReply(bytes(":42\r\nrest")), {
    reply: { error: false, value: "42" },
    length: 5,
  });
  assert.deepEqual(parseReply(bytes("-WRONGTYPE Operation\r\n")), {
    reply: { error: true, message: "WRONGTYPE Operation" },
    length: 22,
  });
  assert.deepEqual(parseReply(bytes("$15\r\n1700000000000-0\r\n")), {
    reply: { error: false, value: "1700000000000-0" },
    length: 22,
  });
});

Deno.test("parseReply() waits for a whole reply and refuses what is not RESP", () => {
  for (const partial of ["", "+O", "+OK\r", "$15\r\n1700000", "$3\r\nabc\r"]) {
    assert.equal(parseReply(bytes(partial)), null, JSON.stringify(partial));
  }
  assert.throws(() => parseReply(bytes("HTTP/1.1 200 OK\r\n")), /unexpected reply/);
});
