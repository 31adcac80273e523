// Says hello to ?name= (or to the world).
import { Request, Response } from "jaegis/sdk";

export function handle(req: Request): Response {
  const name = req.param("name");
  return Response.text("Hello, " + (name != null && name.length > 0 ? name : "world") + "!\n");
}
