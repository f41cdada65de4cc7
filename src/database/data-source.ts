// For the TypeORM CLI: `npx typeorm migration:run -d dist/src/database/data-source.js`.
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../config/environment.js';
import { dataSourceOptions } from './data-source-options.js';

export default new DataSource({
  ...dataSourceOptions(validateEnvironment(process.env)),
  migrationsRun: false,
});
