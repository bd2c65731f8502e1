import { BurrowUnderTest } from './lib/burrow-path';
import { runLlamaBench } from './lib/llama-bench';
const model = process.argv[2]!;
const lb = process.argv[3]!;
const burrow = BurrowUnderTest.start(model);
await burrow.call('models.load', { path: model, force: true });
for (let round = 0; round < 3; round++) {
  const l = await runLlamaBench(lb, model, 2, 0, 64, false);
  await new Promise((r) => setTimeout(r, 1500));
  const conv = await burrow.newConversation(65);
  const { generationId } = await burrow.call('chat.send', { conversationId: conv, text: 'ra bit' });
  const at: number[] = [];
  const end = await burrow.client.followGeneration(generationId, { onDelta: () => at.push(performance.now()) });
  const endAt = performance.now();
  const n = end.stats!.generatedTokens;
  const gaps = at.slice(1).map((t, i) => t - at[i]!).sort((a, b) => a - b);
  console.log(JSON.stringify({ lbOff: l.tgTokensPerSecond.toFixed(2), bench: (((n - 1) / (endAt - at[0]!)) * 1000).toFixed(2), deltasOnly: (((at.length - 1) / (at.at(-1)! - at[0]!)) * 1000).toFixed(2), deltas: at.length, n, tail: (endAt - at.at(-1)!).toFixed(1), medianGap: gaps[gaps.length >> 1]!.toFixed(1), p90: gaps[Math.floor(gaps.length * 0.9)]!.toFixed(1), max: gaps.at(-1)!.toFixed(1) }));
  await burrow.call('conversations.delete', { id: conv });
}
await burrow.dispose();
