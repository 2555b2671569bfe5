import { RequestState } from '../../../core/request/request-state.ts';
import type { StringKey, Strings } from '../bot-strings.ts';
import type { CardElement } from './adaptive-card.ts';

/** The stages a request passes through when all goes well, in order. */
export const HAPPY_PATH: readonly RequestState[] = [
  RequestState.Requested,
  RequestState.AwaitingApproval,
  RequestState.AwaitingStation,
  RequestState.Programming,
  RequestState.Registered,
  RequestState.Shipped,
  RequestState.PinReleased,
  RequestState.Completed,
];

export function stageName(strings: Strings, state: RequestState): string {
  return strings[`stage${state}` as StringKey];
}

/**
 * Where a request is, as a column of stages: done ones ticked, the current one bold, the rest
 * subtle. A request that ended off the happy path (closed, revoked, failed) shows that end.
 */
export function stageTimeline(strings: Strings, state: RequestState): CardElement {
  const at = HAPPY_PATH.indexOf(state);
  const items =
    at >= 0
      ? HAPPY_PATH.map((stage, index) =>
          line(
            `${index < at || state === RequestState.Completed ? '✓' : index === at ? '➜' : '○'} ${stageName(strings, stage)}`,
            index === at,
            index > at,
          ),
        )
      : [
          line(`✓ ${stageName(strings, RequestState.Requested)}`, false, false),
          { ...line(`✕ ${stageName(strings, state)}`, true, false), color: 'Attention' },
        ];
  return { type: 'Container', items };
}

function line(text: string, current: boolean, later: boolean): CardElement {
  return {
    type: 'TextBlock',
    text,
    spacing: 'None',
    wrap: true,
    ...(current ? { weight: 'Bolder' } : {}),
    ...(later ? { isSubtle: true } : {}),
  };
}
