/** The search procedure: messages, titles and document passages. */
import type { Handlers } from '../../shared/router';
import type { SearchIndex } from '../store/search';

export function searchHandlers(search: SearchIndex): Pick<Handlers, 'search.query'> {
  return {
    'search.query': ({ query, limit }) => search.search(query, limit),
  };
}
