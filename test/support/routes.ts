// The routes of the running app and the scope each needs, shared by the specs that walk every
// route (contract/keys, isolation-matrix): one table, so a route added without a row fails both.
import type { INestApplication, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '../../src/auth/public.decorator.js';
import { requiredScope } from '../../src/auth/requires-scope.decorator.js';
import type { Scope } from '../../src/auth/scopes.js';

/** Each route, the scope the issue gives it, and the phrase its 403 uses. */
/** The routes that reach every collection: only a key of every collection (API_KEYS) may call them. */
export const EVERY_COLLECTION_ROUTES = ['POST /collections', 'DELETE /collections/:collection'];

export const ROUTE_SCOPES: [route: string, scope: Scope, action: string][] = [
  ['POST /upload_reference', 'enrol', 'enrol faces'],
  ['POST /compare_with_reference', 'verify', 'compare faces'],
  ['POST /verify', 'verify', 'verify faces'],
  ['POST /subjects/:subject/verify', 'verify', 'verify persons'],
  ['POST /identify', 'identify', 'identify faces'],
  ['GET /list_references', 'read', 'list references'],
  ['GET /subjects', 'read', 'list subjects'],
  ['GET /references/:key', 'read', 'read references'],
  ['GET /references/:key/image', 'images', 'download photos'],
  ['GET /references/:key/face', 'images', 'download faces'],
  ['GET /calibration', 'read', 'read the calibration'],
  ['DELETE /delete_reference/:key', 'delete', 'delete references'],
  ['GET /subjects/:subject', 'read', 'read persons'],
  ['PUT /subjects/:subject', 'enrol', 'write person metadata'],
  ['DELETE /subjects/:subject', 'delete', 'erase persons'],
  ['GET /audit', 'admin', 'read the audit trail'],
  ['POST /keys', 'admin', 'create keys'],
  ['GET /keys', 'admin', 'list keys'],
  ['DELETE /keys/:id', 'admin', 'revoke keys'],
  ['POST /collections', 'admin', 'create collections'],
  ['GET /collections', 'admin', 'list collections'],
  ['DELETE /collections/:collection', 'admin', 'erase collections'],
];

export interface Route {
  route: string;
  isPublic: boolean;
  scope?: Scope;
  action?: string;
}

/** Every handler of every controller of the running app, as Nest routes them. */
export function routesOf(app: INestApplication): Route[] {
  const reflector = app.get(Reflector);
  const scanner = new MetadataScanner();
  const routes: Route[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as Type;
      const prefix = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      const prototype = type.prototype as Record<string, (...args: never[]) => unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const path = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        const full = `/${[prefix, path].filter((part) => part !== '' && part !== '/').join('/')}`;
        const required = requiredScope(reflector, handler);
        routes.push({
          route: `${RequestMethod[method]} ${full.replace(/\/+/g, '/')}`,
          isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, type]) ?? false,
          scope: required?.scope,
          action: required?.action,
        });
      }
    }
  }
  return routes;
}
