// The UI's state: one small reactive class per concept, built and wired here once. Panels import the
// instances they show. A concept that must tell another something is handed a callback (a lost worker
// fails the running run; an added file counts against the restore notice), so no class module imports
// another's module but for the types of what it is handed: the imports form no circle.
import { Announcer } from './announcer.svelte.ts';
import { CandidateList } from './candidates.svelte.ts';
import { CoverPick } from './coverPick.svelte.ts';
import { InsideVideo, titleFromName } from './insideVideo.svelte.ts';
import { LibraryView } from './library.svelte.ts';
import { ModelState } from './model.svelte.ts';
import { MomentsRun } from './momentsRun.svelte.ts';
import { QueryState } from './query.svelte.ts';
import { RerankRun } from './rerankRun.svelte.ts';
import { SavedSession } from './savedSession.svelte.ts';
import { VideoProbes } from './videoProbes.svelte.ts';
import { clientVideoTools } from './videoTools.ts';
import { ViewState } from './view.svelte.ts';

/** Builds every concept's state and connects them; the saved state is restored before it returns. */
export function createAppState() {
  const announcer = new Announcer();
  const videos = new VideoProbes();
  // `saved` and `rerank` are built below: these callbacks are only called after start-up.
  const filesAdded = (count: number): void => saved.filesAddedAgain(count);
  const query = new QueryState({ announcer, videos, onFilesAdded: filesAdded });
  const candidates = new CandidateList({
    announcer,
    videos,
    onFilesAdded: filesAdded,
    isShownInResults: (url: string): boolean => rerank.showsMedia(url),
  });
  const model = new ModelState({ announcer, onWorkerLost: (reason: string): void => rerank.failForLostWorker(reason) });
  const rerank = new RerankRun({ announcer, model, query, candidates });
  const view = new ViewState();
  const library = new LibraryView({ announcer });
  const insideVideo = new InsideVideo({
    announcer,
    rerankTools: (file: Blob | string) =>
      model.ready && model.client
        ? clientVideoTools(model.client, file, 'the model loaded in “Rerank a list”')
        : 'No reranker is loaded: load one in “Rerank a list” (the Model panel), then try again.',
    onOpened: (request) => {
      moments.reset();
      cover.reset();
      if (request.query) moments.query = request.query;
      cover.title = titleFromName(request.name);
      view.show('moments');
    },
  });
  const moments = new MomentsRun({ announcer, video: insideVideo });
  const cover = new CoverPick({ announcer, video: insideVideo });
  const saved = new SavedSession({ query, candidates, model, view });
  saved.restore();
  return { announcer, videos, query, candidates, model, rerank, saved, view, library, insideVideo, moments, cover };
}

export const app = createAppState();
export const { announcer, videos, query, candidates, model, rerank, saved, view, library, insideVideo, moments, cover } = app;
