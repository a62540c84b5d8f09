/**
 * The JSON body parser: fastify's own (same prototype-poisoning guard), behind a depth check.
 * A 100k-deep body parses fine but overflows the stack of every walker after it, which
 * answered 500; here it is a 400 before anything walks it.
 */
import type { FastifyInstance } from "fastify";
import { jsonTooDeep, MAX_JSON_DEPTH } from "../../../core/json-depth.js";
import { invalidArgument } from "../grpc-errors.js";

export function registerJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (jsonTooDeep(text)) {
      done(
        invalidArgument(
          "body",
          `JSON nests deeper than ${MAX_JSON_DEPTH} levels`,
          "Flatten the request; no cortex field needs that depth.",
        ),
        undefined,
      );
      return;
    }
    parseJson(req, text, done);
  });
}
