import { ApiProperty } from '@nestjs/swagger';
import type { FaceBox } from '../face-box.js';

/** A face's box on the wire, as DeepFace names it. */
export class FacialAreaDto {
  @ApiProperty({ example: 112 }) x!: number;
  @ApiProperty({ example: 87 }) y!: number;
  @ApiProperty({ example: 160 }) w!: number;
  @ApiProperty({ example: 171 }) h!: number;
}

export function toFacialArea(box: FaceBox): FacialAreaDto {
  return { x: box.x, y: box.y, w: box.width, h: box.height };
}
