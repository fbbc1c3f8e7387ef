// PostgreSQL constraint violations that are the client's doing become 409s; everything else stays a 500.
import { ConflictError } from '@tributary/shared/domain/errors';

export async function conflictOnUnique<T>(work: Promise<T>, message: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new ConflictError(message);
    throw error;
  }
}
