import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One generated file: which schema it comes from and where it goes. */
interface SchemaTypeSource {
  target: string;
  render(root: string): Promise<string>;
}

const banner = '/* Generated from schemas/ by `npm run generate:types`. Do not edit by hand. */';

function fromSchema(schemaFile: string, target: string): SchemaTypeSource {
  return {
    target,
    async render(root) {
      const schemaDir = path.join(root, 'schemas');
      const schema = JSON.parse(await readFile(path.join(schemaDir, schemaFile), 'utf8')) as JSONSchema;
      return compile(schema, schema.title ?? schemaFile, {
        bannerComment: banner,
        cwd: schemaDir,
        additionalProperties: false,
        maxItems: -1,
        unreachableDefinitions: true,
        style: { singleQuote: true, printWidth: 120 },
        declareExternallyReferenced: true,
        $refOptions: {
          resolve: {
            // Cross-schema $refs use the schemas' $id host; resolve them from the local folder instead.
            http: {
              order: 1,
              canRead: /^https:\/\/mra-gateway\.example\/schemas\//,
              read: (file: { url: string }) => readFile(path.join(schemaDir, path.basename(file.url)), 'utf8'),
            },
          },
        },
      });
    },
  };
}

export const schemaTypeSources: SchemaTypeSource[] = [
  fromSchema('member-list.v1.json', 'src/domain/generated/member-list.ts'),
  fromSchema('member-record.v1.json', 'src/domain/generated/member-record.ts'),
  fromSchema('mra-registry.v1.json', 'src/domain/generated/mra-registry.ts'),
];
