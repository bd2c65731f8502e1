/** A reference as written in summaries and answers: [p. 3], [p. 3–4], [§ "Costs"], [part 2] (docs/documents.md). */
export const REFERENCE_PATTERN = /\[(pp?\. ?\d+(?:[–-]\d+)?|§ ?"[^"\]]+"|part \d+(?:[–-]\d+)?)\]/g;

