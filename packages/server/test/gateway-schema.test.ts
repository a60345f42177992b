// The gateway's generated tables are in step with @etcd-ts/api's .proto files.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { generateGatewaySchema } from "./support/gatewaySchema.js";

const protoRoot = fileURLToPath(new URL("../../api/proto", import.meta.url));
const target = fileURLToPath(new URL("../src/gateway/schema.generated.ts", import.meta.url));

test("schema.generated.ts matches the .proto files", () => {
  const text = generateGatewaySchema(protoRoot);
  if (process.env["GATEWAY_SCHEMA_UPDATE"] === "1") writeFileSync(target, text);
  assert.equal(readFileSync(target, "utf8"), text, "stale: GATEWAY_SCHEMA_UPDATE=1 node --import tsx --test test/gateway-schema.test.ts");
});
