import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'facegate:public';

/** Marks a controller or handler that needs no API key (health checks, metrics). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
