/**
 * The rule that picks the faces a FaceSelection keeps, as the pipeline applies it (it lives there,
 * interleaved with the confirmation of detections): public so that the engine's fakes and the
 * calibration tool select exactly as the engine does, without reaching into pipeline/.
 */
export { selectFaces, subjectFace } from './pipeline/selection.js';
