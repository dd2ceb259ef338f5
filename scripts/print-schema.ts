// Writes schema.graphql: the printed, sorted schema that clients and codegen read.
import fs from 'node:fs';
import { printedSchema } from '../src/graphql/printed-schema.js';

fs.writeFileSync(new URL('../schema.graphql', import.meta.url), printedSchema());
process.stdout.write('schema.graphql written\n');
