// ABI v1 exports every Jaegis module has. The compiler's generated entry re-exports these and
// wraps the user's handle(). Private to the SDK; the layout is in runtime/abi/README.md.
import { Request, decodeRequest } from "./request";
import { Response, encodeResponse } from "./response";

/** Marks the ABI version the module was built for; the runtime checks the export's name. */
export const __jaegis_abi_v1: i32 = 1;

/** Host-side allocation of a request buffer of `len` bytes. */
export function __jaegis_alloc(len: usize): usize {
  return heap.alloc(len);
}

/** Frees a block from __jaegis_alloc or a response; only needed by modules that reuse instances. */
export function __jaegis_free(ptr: usize): void {
  heap.free(ptr);
}

/**
 * Runs at build time before the user's init(): the first allocation sets up the allocator's free
 * lists, and the snapshot keeps them, so requests start with a ready heap instead of rebuilding it.
 */
export function prepareHeap(): void {
  heap.free(heap.alloc(16));
}

/** Decodes the request, runs the handler, encodes its response. */
export function dispatch(ptr: usize, len: usize, handler: (req: Request) => Response): usize {
  const req = decodeRequest(ptr, len);
  heap.free(ptr);
  return encodeResponse(handler(req));
}
