// A deploy's objects and fields applied to a schema: the org's after a deploy commits, and a copy of it while the
// deploy's Apex is compiled (its classes may use the objects the same deploy adds).
import type { DeployedObject } from '../metadata/model.ts';
import { fieldFromMetadata, MetadataFieldError } from './metadata-fields.ts';
import { newCustomObject } from './metadata-loader.ts';
import type { SchemaRegistry } from './registry.ts';

export function applyDeployedObjects(schema: SchemaRegistry, objects: DeployedObject[]): void {
    for (const obj of objects) {
        const fields = [];
        for (const f of obj.fields) {
            try {
                fields.push(
                    fieldFromMetadata(
                        {
                            ...f,
                            restricted: f.restrictedPicklist,
                            values: f.picklistValues.map((p) => ({
                                fullName: p.value,
                                label: p.label,
                                default: p.isDefault
                            }))
                        },
                        obj.name
                    )
                );
            } catch (e) {
                if (!(e instanceof MetadataFieldError)) throw e;
            }
        }
        const existing = schema.get(obj.name);
        if (existing) for (const f of fields) schema.addField(existing.name, f);
        else
            schema.addObject(
                newCustomObject(
                    obj.name,
                    {
                        label: obj.label,
                        pluralLabel: obj.pluralLabel,
                        nameField: obj.nameField,
                        sharingModel: obj.sharingModel
                    },
                    fields
                )
            );
    }
}
