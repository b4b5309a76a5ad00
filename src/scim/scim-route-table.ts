// Where the SCIM endpoints register: paths relative to the SCIM base path, each one guarded by the
// router (authentication, and for POST/PUT/PATCH the JSON body reader) before its handler runs.
import type { Request, Response } from 'express';

export type ScimHandler = (req: Request, res: Response) => void | Promise<void>;

export interface ScimRouteTable {
  get(path: string, handler: ScimHandler): void;
  post(path: string, handler: ScimHandler): void;
  put(path: string, handler: ScimHandler): void;
  patch(path: string, handler: ScimHandler): void;
  delete(path: string, handler: ScimHandler): void;
}
