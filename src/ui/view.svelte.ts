// Which of the app's views is shown: "Rerank a list", "Library" or "Inside a video". The saved session keeps the
// choice across reloads; a view is mounted the first time it is shown and then kept (hidden), so
// switching back and forth loses nothing typed or picked.
export type ViewName = 'rerank' | 'library' | 'moments';

export const VIEWS: readonly { name: ViewName; label: string }[] = [
  { name: 'rerank', label: 'Rerank a list' },
  { name: 'library', label: 'Library' },
  { name: 'moments', label: 'Inside a video' },
];

export class ViewState {
  current = $state<ViewName>('rerank');
  /** Views shown at least once (mounted since). */
  visited = $state<Record<ViewName, boolean>>({ rerank: true, library: false, moments: false });

  show(name: ViewName): void {
    this.current = name;
    this.visited[name] = true;
  }

  /** The view `step` places from the current one, wrapping around (the tablist's arrow keys). */
  neighbour(step: number): ViewName {
    const i = VIEWS.findIndex((v) => v.name === this.current);
    return VIEWS[(i + step + VIEWS.length) % VIEWS.length].name;
  }
}
