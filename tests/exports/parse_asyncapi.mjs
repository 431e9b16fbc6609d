// Parses each AsyncAPI document named on the command line with the official
// @asyncapi/parser and prints, per file, its diagnostics and the structure the parser
// read back, as one JSON object: { file: { diagnostics, version, channels, operations } }.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
const results = {};
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
  results[file] = {
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      path: d.path.join("."),
    })),
    version: document?.version() ?? null,
    channels: document
      ? document.channels().all().map((c) => ({
          id: c.id(),
          address: c.address(),
          messages: c.messages().all().map((m) => [m.id(), m.name() ?? null]),
        }))
      : [],
    operations: document
      ? document.operations().all().map((o) => ({
          id: o.id(),
          action: o.action(),
          channels: o.channels().all().map((c) => c.id()),
          messages: o.messages().all().map((m) => m.id()),
          reply: o.reply()
            ? {
                channel: o.reply().channel()?.id() ?? null,
                messages: o.reply().messages().all().map((m) => m.id()),
              }
            : null,
        }))
      : [],
  };
}
process.stdout.write(JSON.stringify(results, null, 1));
