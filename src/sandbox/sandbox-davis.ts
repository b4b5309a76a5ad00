// The sandbox's Davis Assistant user management (`/api/v2/tenant/users[/{email}]`). Faults make a
// delete answer 404 or 405 while the user stays, and an update answer 200 without effect, so that a
// client which trusts such answers can be caught.
import type { DavisUser } from '../ports/davis-assistant-api.js';
import type { HandlerResult } from './sandbox-answers.js';
import { SandboxHttpError } from './sandbox-answers.js';
import type { SandboxState } from './sandbox-state.js';
import { isJsonObject } from '../ports/json.js';

export class SandboxDavis {
  constructor(private readonly state: SandboxState) {}

  private read(email: string, body: unknown): DavisUser {
    if (!isJsonObject(body)) throw new SandboxHttpError(400, { message: 'A JSON object is required' });
    const { firstName, lastName, timezone, admin } = body;
    const bodyEmail = body['email'];
    if (bodyEmail !== undefined && (typeof bodyEmail !== 'string' || bodyEmail.toLowerCase() !== email.toLowerCase())) {
      throw new SandboxHttpError(400, { message: 'email in body does not match the path' });
    }
    if (typeof firstName !== 'string' || typeof lastName !== 'string' || typeof timezone !== 'string' || typeof admin !== 'boolean') {
      throw new SandboxHttpError(400, { message: 'firstName, lastName, timezone (strings) and admin (boolean) are required' });
    }
    return { firstName, lastName, email: email.toLowerCase(), timezone, admin };
  }

  list(): HandlerResult {
    return { status: 200, body: this.state.davisUsers() };
  }

  create(email: string, body: unknown): HandlerResult {
    const user = this.read(email, body);
    if (this.state.faults.refusedEmails.includes(user.email)) throw new SandboxHttpError(400, { message: `User ${user.email} cannot be added` });
    if (this.state.davisRecords.has(user.email)) throw new SandboxHttpError(409, { message: `User ${user.email} already exists` });
    this.state.davisRecords.set(user.email, user);
    return { status: 201, body: user };
  }

  update(email: string, body: unknown): HandlerResult {
    const user = this.read(email, body);
    if (!this.state.davisRecords.has(user.email)) throw new SandboxHttpError(404, { message: `User ${user.email} not found` });
    if (this.state.faults.davisUpdateIgnored) return { status: 200 };
    this.state.davisRecords.set(user.email, user);
    return { status: 200, body: user };
  }

  remove(email: string): HandlerResult {
    const refusal = this.state.faults.davisDeleteAnswer;
    if (refusal === 405) throw new SandboxHttpError(405, { message: 'Method Not Allowed' });
    if (refusal === 404 || !this.state.davisRecords.delete(email.toLowerCase())) throw new SandboxHttpError(404, { message: `User ${email} not found` });
    return { status: 204 };
  }
}
