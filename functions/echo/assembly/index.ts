// JSON round trip: the request body parsed and serialized again.
import { Request, Response, JSONValue, log } from "jaegis/sdk";

export function handle(req: Request): Response {
  const value = req.json();
  if (value == null) {
    log.warn("echo: body is not valid JSON (" + req.body.length.toString() + " bytes)");
    return Response.json(JSONValue.object().set("error", JSONValue.fromString("body is not valid JSON")), 400);
  }
  return Response.json(value);
}
