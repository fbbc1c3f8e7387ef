// Every service the local runner starts, in order. Adding one is one line here.
import type { LocalService } from './runner';
import { postgresService } from './postgres.service';

export const LOCAL_SERVICES: LocalService[] = [
  postgresService,
];
