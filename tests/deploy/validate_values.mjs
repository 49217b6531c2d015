// Validates helm/strata/values.yaml against values.schema.json (JSON Schema
// draft-07, ajv), then checks that the schema describes every value:
//   - every property has a type and a description, and every value that
//     values.yaml sets has a default equal to it (one default, two files);
//   - config's properties are strata-server option names
//     (server/server_options.h);
//   - terminationGracePeriodSeconds >= preStopSleepSeconds +
//     config.shutdown_grace_ms + a margin.
//
// Usage: node validate_values.mjs NPM_PREFIX VALUES.yaml SCHEMA.json SERVER_OPTIONS_H
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";

const [prefix, valuesPath, schemaPath, optionsHeader] = process.argv.slice(2);
if (!optionsHeader) {
  console.error("usage: node validate_values.mjs NPM_PREFIX VALUES.yaml SCHEMA.json SERVER_OPTIONS_H");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(prefix), "package.json"));
const YAML = require("yaml");
const Ajv = require("ajv");

const kMarginSeconds = 5;
const values = YAML.parse(fs.readFileSync(valuesPath, "utf8"));
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
const errors = [];

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(schema);
if (!validate(values)) {
  for (const e of validate.errors) {
    errors.push(`${valuesPath}${e.instancePath || "/"}: ${e.message} ${JSON.stringify(e.params)}`);
  }
}

// Walks the schema's properties alongside the values.
function walk(node, value, where) {
  for (const [key, sub] of Object.entries(node.properties ?? {})) {
    const at = `${where}.${key}`;
    if (sub.type === undefined) errors.push(`${schemaPath}: ${at} has no type`);
    if (sub.description === undefined) errors.push(`${schemaPath}: ${at} has no description`);
    const v = value?.[key];
    if (v !== undefined) {
      if (!("default" in sub)) {
        errors.push(`${schemaPath}: ${at} has no default (values.yaml sets it)`);
      } else if (!isDeepStrictEqual(sub.default, v)) {
        errors.push(`${schemaPath}: ${at} default ${JSON.stringify(sub.default)} != values.yaml ${JSON.stringify(v)}`);
      }
    }
    if (sub.type === "object" && sub.properties !== undefined) walk(sub, v, at);
  }
}
walk(schema, values, "");

const options = new Set(
  [...fs.readFileSync(optionsHeader, "utf8").matchAll(/^\s*X\((\w+),/gm)].map((m) => m[1]));
for (const key of Object.keys(schema.properties?.config?.properties ?? {})) {
  if (!options.has(key)) errors.push(`${schemaPath}: config.${key} is not a strata-server option`);
}

const graceMs = values?.config?.shutdown_grace_ms ?? 10000;
const needed = (values?.preStopSleepSeconds ?? 0) + Math.ceil(graceMs / 1000) + kMarginSeconds;
if ((values?.terminationGracePeriodSeconds ?? 30) < needed) {
  errors.push(`terminationGracePeriodSeconds ${values.terminationGracePeriodSeconds} < preStopSleepSeconds ` +
              `${values.preStopSleepSeconds} + shutdown_grace_ms ${graceMs} + ${kMarginSeconds} s margin`);
}

for (const e of errors) console.log(`FAIL ${e}`);
if (errors.length === 0) {
  console.log(`ok   ${valuesPath} matches ${schemaPath} (${Object.keys(schema.properties).length} top-level values)`);
}
process.exit(errors.length > 0 ? 1 : 0);
