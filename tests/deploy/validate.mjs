// Validates rendered Kubernetes objects (a multi-document YAML file) against
// the Kubernetes OpenAPI schemas, via the kubernetes-models class matching
// each object's apiVersion and kind, then checks what the schemas cannot:
//   - strata.json in a ConfigMap parses and uses only strata-server option
//     names (server/server_options.h; an unknown key stops the server);
//   - a StatefulSet's terminationGracePeriodSeconds covers its preStop sleep
//     plus shutdown_grace_ms plus a margin.
//
// Usage: node validate.mjs NPM_PREFIX RENDERED.yaml SERVER_OPTIONS_H
// Prints one line per object; exits 1 when any object fails.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [prefix, renderedPath, optionsHeader] = process.argv.slice(2);
if (!prefix || !renderedPath || !optionsHeader) {
  console.error("usage: node validate.mjs NPM_PREFIX RENDERED.yaml SERVER_OPTIONS_H");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), "package.json"));
const YAML = require("yaml");

const kMarginSeconds = 5;
const optionNames = new Set(
  [...fs.readFileSync(optionsHeader, "utf8").matchAll(/^\s*X\((\w+),/gm)].map((m) => m[1]));
if (optionNames.size === 0) {
  console.error(`no options found in ${optionsHeader}`);
  process.exit(2);
}

// "apps/v1" -> kubernetes-models/apps/v1/<Kind>; "v1" -> kubernetes-models/v1/<Kind>.
function modelClass(apiVersion, kind) {
  const module = `kubernetes-models/${apiVersion}/${kind}`;
  try {
    return require(module)[kind];
  } catch (e) {
    if (e.code === "MODULE_NOT_FOUND") return undefined;
    throw e;
  }
}

function checkConfigMap(obj) {
  const text = obj.data?.["strata.json"];
  if (text === undefined) return [];
  let config;
  try {
    config = JSON.parse(text);
  } catch (e) {
    return [`strata.json is not JSON: ${e.message}`];
  }
  return Object.keys(config)
    .filter((k) => !optionNames.has(k))
    .map((k) => `strata.json: "${k}" is not a strata-server option`);
}

function checkStatefulSet(obj, graceMs) {
  const pod = obj.spec.template.spec;
  const errors = [];
  for (const c of pod.containers) {
    const cmd = c.lifecycle?.preStop?.exec?.command ?? [];
    const sleep = cmd[0] === "sleep" ? Number(cmd[1]) : 0;
    const needed = sleep + Math.ceil(graceMs / 1000) + kMarginSeconds;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (grace < needed) {
      errors.push(`terminationGracePeriodSeconds ${grace} < preStop ${sleep} s + ` +
                  `shutdown_grace_ms ${graceMs} + ${kMarginSeconds} s margin`);
    }
    for (const p of ["readinessProbe", "livenessProbe"]) {
      if (!c[p]?.grpc) errors.push(`container ${c.name}: ${p} is not a grpc probe`);
    }
  }
  return errors;
}

const docs = YAML.parseAllDocuments(fs.readFileSync(renderedPath, "utf8"));
const objects = [];
let failed = 0;
for (const doc of docs) {
  if (doc.errors.length > 0) {
    console.log(`FAIL YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    failed++;
    continue;
  }
  const obj = doc.toJS();
  if (obj !== null) objects.push(obj);
}
// shutdown_grace_ms from the rendered config (server default 10000).
let graceMs = 10000;
for (const obj of objects) {
  const text = obj.kind === "ConfigMap" ? obj.data?.["strata.json"] : undefined;
  try {
    if (text !== undefined) graceMs = JSON.parse(text).shutdown_grace_ms ?? graceMs;
  } catch {
    // Reported by checkConfigMap.
  }
}
for (const obj of objects) {
  const name = `${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
  const Model = modelClass(obj.apiVersion, obj.kind);
  const errors = [];
  if (Model === undefined) {
    errors.push(`no kubernetes-models class for ${obj.apiVersion} ${obj.kind}`);
  } else {
    try {
      new Model(obj).validate();
    } catch (e) {
      errors.push(e.message);
    }
  }
  if (errors.length === 0 && obj.kind === "ConfigMap") errors.push(...checkConfigMap(obj));
  if (errors.length === 0 && obj.kind === "StatefulSet") errors.push(...checkStatefulSet(obj, graceMs));
  if (errors.length > 0) {
    failed++;
    for (const e of errors) console.log(`FAIL ${name} (${obj.apiVersion}): ${e}`);
  } else {
    console.log(`ok   ${name} (${obj.apiVersion})`);
  }
}
if (objects.length === 0) {
  console.log("FAIL no objects rendered");
  failed++;
}
process.exit(failed > 0 ? 1 : 0);
