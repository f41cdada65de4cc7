import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PhotoSourceError, readPhotoSource } from './photo-sources.js';

describe('photo sources', () => {
  let root: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'facegate-sources-'));
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  /** A folder under the test's root with these files (empty: only their names matter). */
  function folder(name: string, files: string[]): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const file of files) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    return dir;
  }

  it('should take each sub-folder as a person, its photos in name order, and leave other files out', () => {
    const dir = folder('people', [
      'bob/2.jpg',
      'bob/1.JPEG',
      'bob/notes.txt',
      'bob/old/3.jpg',
      'amy/a.png',
      'README.md',
    ]);
    assert.deepEqual(readPhotoSource(dir), [
      { source: join('amy', 'a.png'), path: join(dir, 'amy', 'a.png'), subject: 'amy' },
      { source: join('bob', '1.JPEG'), path: join(dir, 'bob', '1.JPEG'), subject: 'bob' },
      { source: join('bob', '2.jpg'), path: join(dir, 'bob', '2.jpg'), subject: 'bob' },
    ]);
  });

  it('should refuse a folder with a photo outside any person, or without photos', () => {
    assert.throws(
      () => readPhotoSource(folder('loose', ['amy/1.jpg', 'stray.jpg'])),
      (error) => error instanceof PhotoSourceError && /stray\.jpg.*no subject/.test(error.message),
    );
    assert.throws(() => readPhotoSource(folder('empty', ['amy/notes.txt'])), /no photos/);
    assert.throws(() => readPhotoSource(join(root, 'missing')), /no such folder or file/);
  });

  it('should read a manifest by its header, paths relative to it, an empty subject as none', () => {
    const dir = folder('listed', ['photos/1.jpg']);
    const manifest = join(dir, 'manifest.csv');
    writeFileSync(
      manifest,
      '\uFEFFsubject, Path ,note\n' +
        ' Amy ,photos/1.jpg,x\n' +
        '"Smith, Jo",/abs/2.png,\n' +
        ',photos/1.jpg,\n\n',
    );
    assert.deepEqual(readPhotoSource(manifest), [
      { source: 'photos/1.jpg', path: join(dir, 'photos', '1.jpg'), subject: 'Amy' },
      { source: '/abs/2.png', path: '/abs/2.png', subject: 'Smith, Jo' },
      { source: 'photos/1.jpg', path: join(dir, 'photos', '1.jpg'), subject: null },
    ]);
  });

  it('should refuse a manifest without the columns, with a bad line, or that is no CSV', () => {
    const dir = folder('bad', []);
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    assert.throws(
      () => readPhotoSource(write('a.csv', 'file,person\nx.jpg,amy\n')),
      /path and subject/,
    );
    assert.throws(
      () => readPhotoSource(write('b.csv', 'path,subject\n,amy\n')),
      /b\.csv:2: no path/,
    );
    assert.throws(
      () => readPhotoSource(write('c.csv', `path,subject\nx.jpg,${'a'.repeat(101)}\n`)),
      /c\.csv:2: the subject is over 100 characters/,
    );
    assert.throws(
      () => readPhotoSource(write('d.csv', 'path,subject\nx.jpg,"amy\n')),
      PhotoSourceError,
    );
    assert.throws(() => readPhotoSource(write('e.csv', 'path,subject\n')), /no photos listed/);
    assert.throws(() => readPhotoSource(write('list.txt', 'path,subject\n')), /a \.csv manifest/);
  });
});
