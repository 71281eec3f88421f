// Method and event names of the API, without the schemas, for the preload's allow-list.
export const API_METHOD_NAMES = [
  'app.info',
  'assets.put',
  'assets.get',
  'project.open',
  'project.save',
  'project.recent',
  'project.list',
  'project.autosave',
  'project.recoveries',
  'project.recover',
  'project.discardRecovery',
  'dialog.openProject',
  'dialog.saveProject',
  'fonts.list',
  'fonts.get',
  'fonts.add',
  'engine.generate',
  'engine.plan',
  'engine.cancel',
  'engine.jobs',
  'engine.models',
  'engine.importModel',
  'engine.verifyModel',
  'engine.textCheck',
] as const;
export type ApiMethod = (typeof API_METHOD_NAMES)[number];

export const API_EVENTS = ['menu', 'engine.job'] as const;
