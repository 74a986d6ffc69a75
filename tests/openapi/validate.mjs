// Validates docs/openapi.json as an OpenAPI 3.1 document (the official JSON Schema of the
// specification, through @seriousme/openapi-schema-validator), and checks the house rules the
// schema cannot: every operation has an operationId (unique), a summary, x-access with a known
// level and known roles, and every status it answers with a JSON body of error shape.
// Exit 0, or the problems and 1.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(here, '../../docs/openapi.json');
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
const problems = [];

const validator = new Validator();
const res = await validator.validate(structuredClone(doc));
if (validator.version !== '3.1') problems.push(`not an OpenAPI 3.1 document (version ${validator.version})`);
if (!res.valid) for (const e of res.errors) problems.push(`schema: ${e.instancePath} ${e.message}`);

const LEVELS = ['public', 'session', 'content', 'write'];
const ROLES = ['participant', 'expert', 'secretariat'];
const ids = new Set();
for (const [p, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    const where = `${method.toUpperCase()} ${p}`;
    if (!op.operationId) problems.push(`${where}: no operationId`);
    else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} used twice`);
    ids.add(op.operationId);
    if (!op.summary) problems.push(`${where}: no summary`);
    const x = op['x-access'];
    if (!x || !LEVELS.includes(x.level)) problems.push(`${where}: x-access.level must be one of ${LEVELS}`);
    for (const r of (x && x.roles) || []) if (!ROLES.includes(r)) problems.push(`${where}: unknown role ${r}`);
    if (!x || !x.rule) problems.push(`${where}: x-access.rule (who may call it, in words) is missing`);
    for (const [status, resp0] of Object.entries(op.responses || {})) {
      let resp = resp0;
      if (resp.$ref) resp = resp.$ref.split('/').slice(1).reduce((n, k) => n[k], doc);
      if (Number(status) >= 400) {
        const schema = resp.content && resp.content['application/json'] && resp.content['application/json'].schema;
        if (!schema || schema.$ref !== '#/components/schemas/Error')
          problems.push(`${where} ${status}: an error answer's schema is the Error schema ($ref) with its codes`);
      }
    }
  }
}
if (problems.length) {
  console.error(`docs/openapi.json: ${problems.length} problem(s):\n  ` + problems.join('\n  '));
  process.exit(1);
}
console.log(`docs/openapi.json: valid OpenAPI ${doc.openapi}, ${ids.size} operations`);
