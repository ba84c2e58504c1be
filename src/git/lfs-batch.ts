/**
 * The Git LFS batch answer, object by object (hub-api.md §8.2). LFS objects belong to repos: "already
 * stored" means stored for this repo, and a download is offered only for objects this repo holds, so
 * knowing an oid never opens another repo's content. The caller has already asked the authorization
 * engine for the operation; this only decides per object.
 */

import type { LfsOperation } from "./lfs-signing.ts";
import { OID } from "./lfs-store.ts";

export interface BatchAction {
  readonly href: string;
  readonly expires_in: number;
}

export type BatchObjectAnswer =
  | {
      readonly oid: string;
      readonly size: number;
      readonly authenticated?: true;
      readonly actions?: { readonly upload?: BatchAction; readonly download?: BatchAction };
    }
  | {
      readonly oid: string;
      readonly size: number;
      readonly error: { readonly code: number; readonly message: string };
    };

export interface BatchDeps {
  /** The size of the object as this repo holds it; undefined when this repo does not hold it. */
  held(oid: string): Promise<number | undefined>;
  /** A self-authenticating href for the transfer. */
  href(operation: LfsOperation, oid: string, size: number): string;
  readonly expiresIn: number;
}

/** Largest object a single basic-transfer PUT may announce (git-lfs and the clients have no such bound; ours is 1 TiB). */
export const MAX_LFS_OBJECT_SIZE = 2 ** 40;

export async function answerBatch(
  operation: LfsOperation,
  objects: readonly { readonly oid?: unknown; readonly size?: unknown }[],
  deps: BatchDeps,
): Promise<BatchObjectAnswer[]> {
  return Promise.all(objects.map((object) => answerObject(operation, object, deps)));
}

async function answerObject(
  operation: LfsOperation,
  object: { readonly oid?: unknown; readonly size?: unknown },
  deps: BatchDeps,
): Promise<BatchObjectAnswer> {
  const oid = typeof object.oid === "string" ? object.oid : "";
  const size = typeof object.size === "number" ? object.size : 0;
  if (!OID.test(oid)) return failure(oid, size, 422, "Invalid oid: expected 64 lowercase hex characters (SHA-256)");
  if (!Number.isSafeInteger(object.size) || size < 0 || size > MAX_LFS_OBJECT_SIZE) {
    return failure(oid, size, 422, "Invalid size: expected a non-negative integer");
  }
  const heldSize = await deps.held(oid);
  if (operation === "upload") {
    if (heldSize === undefined) {
      return {
        oid,
        size,
        authenticated: true,
        actions: { upload: { href: deps.href("upload", oid, size), expires_in: deps.expiresIn } },
      };
    }
    // Same oid means same bytes, so a differing size is a broken pointer on the client's side.
    if (heldSize !== size) return failure(oid, size, 422, `Size mismatch: the object has ${heldSize} bytes`);
    return { oid, size };
  }
  if (heldSize === undefined) return failure(oid, size, 404, "Object does not exist in this repository");
  return {
    oid,
    size: heldSize,
    authenticated: true,
    actions: { download: { href: deps.href("download", oid, heldSize), expires_in: deps.expiresIn } },
  };
}

function failure(oid: string, size: number, code: number, message: string): BatchObjectAnswer {
  return { oid, size, error: { code, message } };
}
