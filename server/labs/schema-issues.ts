/**
 * Turns TypeBox validation errors into issues an author can act on: one per
 * place, with a message in plain words ("unknown field", "must be one of …",
 * the pattern's description rather than the regular expression).
 *
 * It does not pick which issue to report; the lab parser does, by position.
 */
import type { TLocalizedValidationError } from "typebox/error";

/** A problem at a JSON pointer into the checked value; also the engine's TopologyIssue shape. */
export interface Issue {
  path: string;
  message: string;
}

type SchemaNode = Record<string, unknown>;

export function schemaIssues(rootSchema: unknown, errors: readonly TLocalizedValidationError[]): Issue[] {
  // A union reports every variant's failure and then its own: keep the union's
  // summary and drop the variants' details.
  const unionPaths = errors.filter((error) => error.keyword === "anyOf").map((error) => `${error.schemaPath}/anyOf/`);
  const issues: Issue[] = [];
  for (const error of errors) {
    if (unionPaths.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    // additionalProperties: false is reported twice (as "schema is false" at the extra field, and at its parent).
    if (error.keyword === "boolean" && error.schemaPath.endsWith("/additionalProperties")) continue;
    issues.push(...toIssues(rootSchema, error));
  }
  return issues;
}

function toIssues(rootSchema: unknown, error: TLocalizedValidationError): Issue[] {
  const schema = resolveSchemaPath(rootSchema, error.schemaPath);
  switch (error.keyword) {
    case "required":
      return error.params.requiredProperties.map((name) => ({
        path: `${error.instancePath}/${escapePointer(name)}`,
        message: "required field is missing",
      }));
    case "additionalProperties":
      return error.params.additionalProperties.map((name) => ({
        path: `${error.instancePath}/${escapePointer(name)}`,
        message: `unknown field (allowed here: ${allowedFields(schema)})`,
      }));
    case "enum":
      return [{ path: error.instancePath, message: `must be one of ${error.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}` }];
    case "const":
      return [{ path: error.instancePath, message: `must be ${JSON.stringify(error.params.allowedValue)}` }];
    case "anyOf":
      return [{ path: error.instancePath, message: `must be ${describeVariants(schema)}` }];
    case "pattern": {
      const description = schema?.["description"];
      return [
        {
          path: error.instancePath,
          message: typeof description === "string" ? `must be ${description}` : `must match the pattern ${error.params.pattern}`,
        },
      ];
    }
    case "type":
      return [{ path: error.instancePath, message: `must be ${withArticle(String(error.params.type))}` }];
    default:
      return [{ path: error.instancePath, message: error.message }];
  }
}

/** Follows a schema path ("#/properties/a/items") from the root schema; undefined when it leaves it. */
function resolveSchemaPath(rootSchema: unknown, schemaPath: string): SchemaNode | undefined {
  let node: unknown = rootSchema;
  for (const key of schemaPath.replace(/^#\/?/, "").split("/").filter((part) => part !== "")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as SchemaNode)[key];
  }
  return node !== null && typeof node === "object" ? (node as SchemaNode) : undefined;
}

function allowedFields(schema: SchemaNode | undefined): string {
  const properties = schema?.["properties"];
  return properties !== null && typeof properties === "object" ? Object.keys(properties).join(", ") : "none";
}

function describeVariants(schema: SchemaNode | undefined): string {
  const variants = schema?.["anyOf"];
  if (!Array.isArray(variants)) return "one of the allowed forms";
  const words = variants.map((variant: SchemaNode) => {
    if ("const" in variant) return JSON.stringify(variant["const"]);
    if (typeof variant["description"] === "string") return variant["description"];
    return withArticle(String(variant["type"] ?? "value"));
  });
  return words.length <= 1 ? (words[0] ?? "valid") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

function withArticle(type: string): string {
  const names: Record<string, string> = {
    string: "a string",
    integer: "an integer",
    number: "a number",
    boolean: "true or false",
    object: "a mapping (key: value lines)",
    array: "a list",
    null: "null",
  };
  return names[type] ?? type;
}

function escapePointer(name: string): string {
  return name.replaceAll("~", "~0").replaceAll("/", "~1");
}
