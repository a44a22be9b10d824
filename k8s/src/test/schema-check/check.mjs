// Validates Kubernetes objects against the official OpenAPI schema, compiled into validators by
// kubernetes-models. One JSON object per line on stdin, one JSON answer per line on stdout:
// {"ok":true}, {"errors":"..."} or {"noSchema":"group/version Kind"} (custom resources).
// A long-lived process so that a test suite pays Node's start-up once, not once per manifest.
import { createInterface } from "node:readline";

const modules = new Map();

async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return null;
  }
  const path = "kubernetes-models/" + apiVersion;
  if (!modules.has(path)) {
    modules.set(path, await import(path).catch(() => null));
  }
  const module = modules.get(path);
  return module && typeof module[kind] === "function" ? module[kind] : null;
}

async function check(line) {
  let object;
  try {
    object = JSON.parse(line);
  } catch (e) {
    return { errors: "not JSON: " + e.message };
  }
  const Model = await modelFor(object.apiVersion, object.kind);
  if (Model === null) {
    return { noSchema: object.apiVersion + " " + object.kind };
  }
  try {
    new Model(object).validate();
    return { ok: true };
  } catch (e) {
    return { errors: e.message };
  }
}

// Answers in order: each line waits for the one before it.
let previous = Promise.resolve();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  previous = previous.then(() => check(line)).then((answer) => {
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
}
await previous;
