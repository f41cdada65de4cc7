import { useState } from 'preact/hooks';
import {
  auth,
  getJson,
  postForm,
  type CalibrationAnswer,
  type IdentifyAnswer,
  type IdentifyMatch,
  type VerificationResult,
} from '../api.ts';
import { DistanceScale } from '../components/DistanceScale.tsx';
import { Face } from '../components/Face.tsx';
import { ErrorNote } from '../components/Notice.tsx';
import { Photo } from '../components/Photo.tsx';
import { PhotoPicker } from '../components/PhotoPicker.tsx';
import { distance as showDistance, oneIn, percent } from '../format.ts';
import { useFilePreview, useLoad } from '../hooks.ts';
import { href } from '../router.ts';

type Security = '' | 'high' | 'medium' | 'low';

/** Try the service on photos of your own: nothing is stored. */
export function Try() {
  const calibration = useLoad(() => getJson<CalibrationAnswer>('/calibration'), []);
  return (
    <>
      <header class="page-head">
        <div>
          <h1>Try it</h1>
          <p class="lede">
            Compare two photos, or find who is in one. Nothing you try here is stored.
          </p>
        </div>
      </header>
      {auth.may('verify') && <Verify calibration={calibration.data} />}
      {auth.may('identify') && <Identify />}
    </>
  );
}

function SecurityChoice({
  id,
  value,
  onChange,
  calibration,
}: {
  id: string;
  value: Security;
  onChange: (value: Security) => void;
  calibration?: CalibrationAnswer;
}) {
  const levels = calibration?.levels;
  return (
    <label class="field field-inline" for={id}>
      <span>Security</span>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.currentTarget.value as Security)}
      >
        <option value="">
          default{calibration ? ` (threshold ${calibration.default_threshold})` : ''}
        </option>
        {levels &&
          (['high', 'medium', 'low'] as const).map((level) => (
            <option key={level} value={level}>
              {level} (threshold {levels[level]})
            </option>
          ))}
      </select>
    </label>
  );
}

function Verify({ calibration }: { calibration?: CalibrationAnswer }) {
  const [first, setFirst] = useState<File | null>(null);
  const [second, setSecond] = useState<File | null>(null);
  const [security, setSecurity] = useState<Security>('');
  const [state, setState] = useState<{
    result?: VerificationResult;
    error?: Error;
    busy?: boolean;
  }>({});
  const firstUrl = useFilePreview(first);
  const secondUrl = useFilePreview(second);

  const compare = async (event: Event) => {
    event.preventDefault();
    if (!first || !second) return;
    const form = new FormData();
    form.append('image1', first, first.name);
    form.append('image2', second, second.name);
    if (security) form.append('security', security);
    setState({ busy: true });
    try {
      const { result } = await postForm<{ result: VerificationResult }>('/verify', form);
      setState({ result });
    } catch (error) {
      setState({ error: error as Error });
    }
  };
  const pick = (set: (file: File) => void) => (file: File) => {
    set(file);
    setState({});
  };
  const result = state.result;
  const tone = result ? (result.verified ? 'match' : 'miss') : 'neutral';

  return (
    <section class="panel panel-flat" aria-labelledby="verify-title">
      <h2 id="verify-title">Are these the same person?</h2>
      <form onSubmit={(event) => void compare(event)}>
        <div class="pair">
          <div>
            <PhotoPicker id="verify-first" label="First photo" onPick={pick(setFirst)} />
            <Photo
              src={firstUrl}
              alt={first ? `First photo, ${first.name}` : 'No first photo yet'}
              marks={result ? [{ box: result.facial_areas.img1, tone }] : []}
            />
          </div>
          <div>
            <PhotoPicker id="verify-second" label="Second photo" onPick={pick(setSecond)} />
            <Photo
              src={secondUrl}
              alt={second ? `Second photo, ${second.name}` : 'No second photo yet'}
              marks={result ? [{ box: result.facial_areas.img2, tone }] : []}
            />
          </div>
        </div>
        <div class="actions">
          <SecurityChoice
            id="verify-security"
            value={security}
            onChange={setSecurity}
            calibration={calibration}
          />
          <button type="submit" class="primary" disabled={!first || !second || state.busy}>
            {state.busy ? 'Comparing…' : 'Compare'}
          </button>
        </div>
      </form>
      <ErrorNote error={state.error} />
      {result && (
        <div class={`verdict verdict-${tone}`} role="status">
          <p class="verdict-head">
            {result.verified ? 'Same person' : 'Not the same person'}
            <span class="verdict-distance">distance {showDistance(result.distance)}</span>
          </p>
          <DistanceScale
            distance={result.distance}
            threshold={result.threshold}
            calibration={calibration}
          />
          <p>
            {result.far === undefined
              ? 'The running model has no calibration, so no false accept rate can be given.'
              : `Two different people come this close ${oneIn(result.far)} times (the false accept rate at this distance, measured on ${calibration?.impostor_pairs?.toLocaleString('en') ?? 'millions of'} pairs of strangers).`}{' '}
            {result.verified
              ? `The distance is under the threshold ${showDistance(result.threshold)}, so the service says they match.`
              : `The distance is over the threshold ${showDistance(result.threshold)}, so the service says they do not match.`}
            {result.faces_skipped > 0 &&
              ` ${result.faces_skipped} other ${result.faces_skipped === 1 ? 'face was' : 'faces were'} not compared.`}
          </p>
        </div>
      )}
    </section>
  );
}

/**
 * Who a face may be: those within the threshold, each with their face; of the rest only the
 * closest, in a line, so that a stranger's face does not read like a list of suspects.
 */
function Candidates({ matches }: { matches: IdentifyMatch[] }) {
  const found = matches.filter((match) => match.verified);
  const closest = matches.find((match) => !match.verified);
  const nameOf = (match: IdentifyMatch) =>
    match.subject ? <a href={href('person', match.subject)}>{match.subject}</a> : match.filename;
  return (
    <>
      {found.length > 0 && (
        <ul class="candidates">
          {found.map((match) => (
            <li key={match.key} class="candidate-match">
              {auth.may('images') && (
                <Face
                  refKey={match.key}
                  size={48}
                  alt={`Enrolled face of ${match.subject ?? match.filename}`}
                />
              )}
              <span class="candidate-name">
                {nameOf(match)}
                <small>
                  match · distance {showDistance(match.distance)}
                  {match.fpir !== undefined &&
                    ` · chance a stranger comes this close: ${oneIn(match.fpir)}`}
                </small>
              </span>
            </li>
          ))}
        </ul>
      )}
      {found.length === 0 && (
        <p class="muted">
          Nobody enrolled is close enough
          {closest && (
            <>
              ; the closest is {nameOf(closest)} at {showDistance(closest.distance)}
            </>
          )}
          .
        </p>
      )}
    </>
  );
}

function Identify() {
  const [photo, setPhoto] = useState<File | null>(null);
  const [state, setState] = useState<{ answer?: IdentifyAnswer; error?: Error; busy?: boolean }>(
    {},
  );
  const url = useFilePreview(photo);

  const identify = async (event: Event) => {
    event.preventDefault();
    if (!photo) return;
    const form = new FormData();
    form.append('image', photo, photo.name);
    form.append('limit', '3');
    setState({ busy: true });
    try {
      setState({ answer: await postForm<IdentifyAnswer>('/identify', form) });
    } catch (error) {
      setState({ error: error as Error });
    }
  };
  const answer = state.answer;
  return (
    <section class="panel panel-flat" aria-labelledby="identify-title">
      <h2 id="identify-title">Who is in this photo?</h2>
      <form onSubmit={(event) => void identify(event)} class="identify">
        <div>
          <PhotoPicker
            id="identify-photo"
            label="Photo to search"
            onPick={(file) => {
              setPhoto(file);
              setState({});
            }}
          />
          <Photo
            src={url}
            alt={photo ? `Photo to search, ${photo.name}` : 'No photo yet'}
            marks={(answer?.faces ?? []).map((face, index) => ({
              box: face.facial_area,
              label: String(index + 1),
              tone: face.matches.some((match) => match.verified) ? 'match' : 'miss',
            }))}
          />
          <div class="actions">
            <button type="submit" class="primary" disabled={!photo || state.busy}>
              {state.busy ? 'Searching…' : 'Identify'}
            </button>
          </div>
        </div>
        <div>
          <ErrorNote error={state.error} />
          {answer && (
            <div role="status">
              <p class="muted">
                {answer.faces.length} {answer.faces.length === 1 ? 'face' : 'faces'} searched
                against {answer.references_searched} photos; a match is closer than{' '}
                {showDistance(answer.threshold)}
                {answer.target_fpir !== null &&
                  `, where a stranger has a ${percent(answer.target_fpir, 1)} chance of any match`}
                .
              </p>
              <ol class="faces">
                {answer.faces.map((face, index) => (
                  <li key={index}>
                    <h3>Face {index + 1}</h3>
                    <Candidates matches={face.matches} />
                  </li>
                ))}
              </ol>
            </div>
          )}
        </div>
      </form>
    </section>
  );
}
