import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'facegate:public';

/** Marks a controller or handler that needs no API key (health checks). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
