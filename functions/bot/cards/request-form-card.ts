import { RequestReason } from '../../../core/request/request-state.ts';
import { say, type Strings } from '../bot-strings.ts';
import { BotVerb } from '../bot-verbs.ts';
import {
  adaptiveCard,
  execute,
  heading,
  paragraph,
  type AdaptiveCard,
  type CardElement,
} from './adaptive-card.ts';

export interface RequestFormValues {
  reason?: string;
  keyClass?: string;
  shipTo?: string;
  note?: string;
}

export interface RequestFormOptions {
  keyClasses: string[];
  defaultKeyClass: string;
  /** Prefilled (the Graph profile's office address) or what the person typed last time. */
  values: RequestFormValues;
  /** Why the last submission was refused, shown above the form. */
  problems?: string[];
  /** Ties the submission to this form, so a double click starts one request. */
  formId: string;
}

export const REASON_CHOICES: [RequestReason, keyof Strings][] = [
  [RequestReason.NewHire, 'reasonNewHire'],
  [RequestReason.Lost, 'reasonLost'],
  [RequestReason.Broken, 'reasonBroken'],
  [RequestReason.Backup, 'reasonBackup'],
];

/** The request form: reason, key type (when there is a choice), ship-to address, a note. */
export function requestFormCard(strings: Strings, options: RequestFormOptions): AdaptiveCard {
  const { values } = options;
  const body: CardElement[] = [
    heading(strings.requestFormTitle),
    paragraph(strings.requestFormIntro, { subtle: true }),
  ];
  if (options.problems?.length) {
    body.push(
      paragraph(say(strings, 'formInvalid', { problems: options.problems.join(' ') }), {
        color: 'Attention',
      }),
    );
  }
  body.push({
    type: 'Input.ChoiceSet',
    id: 'reason',
    label: strings.reasonLabel,
    isRequired: true,
    errorMessage: strings.reasonRequired,
    style: 'expanded',
    choices: REASON_CHOICES.map(([value, key]) => ({ title: strings[key], value })),
    ...(values.reason ? { value: values.reason } : {}),
  });
  if (options.keyClasses.length > 1) {
    body.push({
      type: 'Input.ChoiceSet',
      id: 'keyClass',
      label: strings.keyClassLabel,
      isRequired: true,
      errorMessage: strings.keyClassRequired,
      choices: options.keyClasses.map((name) => ({ title: name, value: name })),
      value: values.keyClass ?? options.defaultKeyClass,
    });
  }
  body.push(
    {
      type: 'Input.Text',
      id: 'shipTo',
      label: strings.shipToLabel,
      placeholder: strings.shipToPlaceholder,
      isMultiline: true,
      isRequired: true,
      maxLength: 500,
      errorMessage: strings.shipToRequired,
      ...(values.shipTo ? { value: values.shipTo } : {}),
    },
    {
      type: 'Input.Text',
      id: 'note',
      label: strings.noteLabel,
      isMultiline: true,
      maxLength: 500,
      ...(values.note ? { value: values.note } : {}),
    },
  );
  return adaptiveCard(body, [
    execute(
      strings.submitRequest,
      BotVerb.SubmitRequest,
      { formId: options.formId },
      {
        style: 'positive',
      },
    ),
  ]);
}
