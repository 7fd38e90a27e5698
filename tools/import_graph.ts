/**
 * @module import_graph
 * The import graph of our own modules (relative specifiers only), its circles and line counts;
 * `deno run --allow-read tools/import_graph.ts` prints the circles; tests/layout_test.ts checks
 * them.
 */

/** The folders (and files) that hold our modules, relative to the repository root. */
export const SOURCE_ROOTS = [
  "main.ts",
  "app",
  "core",
  "ffi",
  "ui",
  "tools",
  "bench",
  "testing",
  "tests",
] as const;

/** Module path (relative to the root, "/"-separated) -> the modules it imports. */
export type ImportGraph = Map<string, string[]>;

// Static imports and re-exports (also `import type`, across lines), bare `import "x"`,
// `import("x")`, and `new URL("x", import.meta.url)` (workers).
const SPECIFIER_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?[^;"'`]*?\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  /\bnew\s+URL\s*\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url\s*\)/g,
];

/** The relative specifiers a module's text imports (in order, without duplicates). */
export function relativeImports(text: string): string[] {
  const found = new Set<string>();
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (specifier.startsWith("./") || specifier.startsWith("../")) found.add(specifier);
    }
  }
  return [...found];
}

function joinPath(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

function* walk(root: string, path: string): Generator<string> {
  const info = Deno.statSync(`${root}/${path}`);
  if (info.isFile) {
    if (/\.(ts|js)$/.test(path)) yield path;
    return;
  }
  for (
    const entry of [...Deno.readDirSync(`${root}/${path}`)].sort((a, b) => a.name < b.name ? -1 : 1)
  ) {
    if (entry.name === "output" || entry.name === "data" || entry.name.startsWith(".")) continue;
    yield* walk(root, `${path}/${entry.name}`);
  }
}

/** Every .ts/.js module under the source roots of `root`, e.g. "core/config/config.ts". */
export function sourceFiles(root: string, roots: readonly string[] = SOURCE_ROOTS): string[] {
  const files: string[] = [];
  for (const start of roots) {
    try {
      files.push(...walk(root, start));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return files;
}

/**
 * Reads every module under `root` and the modules it imports (imports of other files, such as
 * .html text imports, are left out).
 */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const text = Deno.readTextFileSync(`${root}/${file}`);
    const targets = relativeImports(text).map((s) => joinPath(file, s)).filter((t) =>
      /\.(ts|js)$/.test(t)
    );
    graph.set(file, targets);
  }
  return graph;
}

/**
 * The strongly connected components with more than one module (or a module importing itself),
 * each sorted.
 */
export function importCircles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative so a deep chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const circles: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const target = edges[frame.edge++];
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = (graph.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfLoop) circles.push(component.sort());
      }
    }
  }
  return circles;
}

/** Line count of a text as `wc -l` gives it (newline characters). */
export function lineCount(text: string): number {
  let lines = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return lines;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const circles = importCircles(importGraph(root));
  for (const circle of circles) console.log(circle.join(" <-> "));
  console.log(`${circles.length} import circle(s)`);
}
