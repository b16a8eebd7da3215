// Checks Backstage catalog files the way a Backstage catalog ingests them: the entity policies
// (default namespace, no foreign root fields, field formats, the entity schema), then the
// validator of the entity's kind. Every entity reference must be unique. Relations in `spec`
// (dependsOn, dependencyOf, providesApis, consumesApis, subcomponentOf) that name an entity
// missing from the files given are warnings, or errors with --strict-refs.
// Usage: node validate-backstage.js [--strict-refs] FILE...   (exit 1 when anything failed)
'use strict';
const fs = require('fs');
const YAML = require('yaml');
const model = require('@backstage/catalog-model');

const policies = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
const kindValidators = [
  model.componentEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.apiEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.userEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
];
// Relation field → the kind a reference without one means (undefined: the kind is required).
const relations = {
  dependsOn: undefined,
  dependencyOf: undefined,
  providesApis: 'api',
  consumesApis: 'api',
  subcomponentOf: 'component',
};

async function check(raw) {
  const entity = await policies.enforce(raw);
  for (const validator of kindValidators) {
    if (await validator.check(entity)) return entity;
  }
  throw new Error(`no validator accepts kind ${entity.kind}`);
}

async function main(argv) {
  const strict = argv[0] === '--strict-refs';
  const files = strict ? argv.slice(1) : argv;
  let failed = 0;
  const refs = new Set();
  const checked = [];
  for (const file of files) {
    const documents = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
    for (const [index, document] of documents.entries()) {
      const where = `${file}#${index}`;
      if (document.errors.length > 0) {
        console.log(`${where}: INVALID YAML: ${document.errors[0].message}`);
        failed++;
        continue;
      }
      const raw = document.toJS();
      if (raw == null) continue;
      try {
        const entity = await check(raw);
        const ref = model.stringifyEntityRef(entity);
        if (refs.has(ref)) throw new Error(`duplicate entity ${ref}`);
        refs.add(ref);
        checked.push({ where, entity });
        console.log(`${where}: OK ${ref}`);
      } catch (error) {
        console.log(`${where}: INVALID ${error.message}`);
        failed++;
      }
    }
  }
  for (const { where, entity } of checked) {
    const namespace = entity.metadata.namespace || 'default';
    for (const [field, defaultKind] of Object.entries(relations)) {
      const value = entity.spec && entity.spec[field];
      if (value == null) continue;
      for (const target of [].concat(value)) {
        const ref = model.stringifyEntityRef(
          model.parseEntityRef(target, { defaultKind, defaultNamespace: namespace }));
        if (refs.has(ref)) continue;
        console.log(`${where}: ${strict ? 'INVALID' : 'warning'}: ${field} -> ${ref} is not in the given files`);
        if (strict) failed++;
      }
    }
  }
  console.log(`${checked.length} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => { console.error(error); process.exit(2); },
);
