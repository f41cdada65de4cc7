import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { EnrolledPhotos, type EnrolledPhoto } from '../enrolled-photos.js';
import { ReferenceEntity } from './reference.entity.js';

/** Digests per query: well under SQLite's 32,766 parameters and MySQL's packet size. */
const CHUNK = 500;

@Injectable()
export class TypeOrmEnrolledPhotos extends EnrolledPhotos {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async find(collection: string, digests: string[]): Promise<EnrolledPhoto[]> {
    const unique = [...new Set(digests)];
    const found: EnrolledPhoto[] = [];
    for (let start = 0; start < unique.length; start += CHUNK) {
      const rows = await this.dataSource
        .getRepository(ReferenceEntity)
        .createQueryBuilder('reference')
        .select('reference.imageSha256', 'sha256')
        .addSelect('reference.subject', 'subject')
        .where({ collection, imageSha256: In(unique.slice(start, start + CHUNK)) })
        .getRawMany<EnrolledPhoto>();
      found.push(...rows);
    }
    return found;
  }
}
