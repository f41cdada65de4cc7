import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FacialAreaDto, toFacialArea } from '../../common/dto/facial-area.dto.js';
import type { EnrolledFaceQuality, ReferenceMetadata } from '../../store/reference-store.js';
import type { Enrolment } from '../references.service.js';
import type { PersonVerdict, Verdict } from '../verdict.js';

export class UploadReferenceResponseDto {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({ example: 'Reference embedding saved with key: 3f2b8c0e9d6a4b1f8e7d6c5b4a392817' })
  message!: string;

  @ApiProperty({ example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817', pattern: '^[0-9a-f]{32}$' })
  key!: string;

  @ApiPropertyOptional({
    type: FacialAreaDto,
    description:
      'Only when the photo showed several faces (the old service refused those): the face ' +
      'enrolled, the one the photo is about',
  })
  facial_area?: FacialAreaDto;

  @ApiPropertyOptional({
    example: 2,
    description: 'Only when the photo showed several faces: how many',
  })
  faces_detected?: number;
}

export class FacialAreasDto {
  @ApiProperty({ type: FacialAreaDto, description: 'The face in the stored reference photo' })
  img1!: FacialAreaDto;

  @ApiProperty({
    type: FacialAreaDto,
    description:
      'The face compared in the new photo: the one it is about, or the closest where none ' +
      'clearly is (or with probe_faces=all)',
  })
  img2!: FacialAreaDto;
}

export class VerificationResultDto {
  @ApiProperty({ description: 'distance <= threshold', example: true })
  verified!: boolean;

  @ApiProperty({ description: 'Cosine distance between the two face embeddings', example: 0.031 })
  distance!: number;

  @ApiProperty({
    description: 'The threshold applied: the one asked for, or FACE_MATCH_THRESHOLD',
    example: 0.079,
  })
  threshold!: number;

  @ApiPropertyOptional({
    description:
      'Estimated false accept rate at this distance: the share of pairs of different people, in ' +
      'the real-world calibration set, at least this close. Absent when the running model is not ' +
      'calibrated.',
    example: 0.00002,
  })
  far?: number;

  @ApiProperty({ description: 'Weights and pipeline that made the embeddings' })
  model!: string;

  @ApiProperty({ example: 'ssd_mobilenetv1' })
  detector_backend!: string;

  @ApiProperty({ example: 'cosine' })
  similarity_metric!: string;

  @ApiProperty({ type: FacialAreasDto })
  facial_areas!: FacialAreasDto;

  @ApiProperty({
    description:
      'Faces found in the new photo(s) but not compared: the faces beside the one a photo is ' +
      'about; where none clearly is (or with probe_faces=all), the smallest, over ' +
      'MAX_FACES_PER_IMAGE',
    example: 0,
  })
  faces_skipped!: number;

  @ApiProperty({ description: 'Seconds spent on the comparison', example: 0.41 })
  time!: number;
}

export class CompareWithReferenceResponseDto {
  @ApiProperty({ example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817' })
  reference_key!: string;

  @ApiProperty({ type: VerificationResultDto })
  result!: VerificationResultDto;
}

/** A verdict on a person: a compare's fields, over all the person's references combined. */
export class PersonVerificationResultDto extends VerificationResultDto {
  @ApiProperty({
    description:
      "How many of the subject's references were combined (all of them, by the rule " +
      'docs/recognition.md gives); `distance` is the combined distance, `far` and the default ' +
      'threshold are read from the person-level calibration for this many references, and ' +
      "`facial_areas.img1` is the reference nearest to the photo's face",
    example: 3,
  })
  references_used!: number;
}

export class SubjectVerifyResponseDto {
  @ApiProperty({ example: 'amy' })
  subject!: string;

  @ApiProperty({
    type: PersonVerificationResultDto,
    example: {
      verified: true,
      distance: 0.0312,
      threshold: 0.0695,
      far: 0.00003,
      model: 'face-api/face_recognition_model@b413e420d684+p6',
      detector_backend: 'ssd_mobilenetv1',
      similarity_metric: 'cosine',
      facial_areas: {
        img1: { x: 52, y: 38, w: 96, h: 118 },
        img2: { x: 210, y: 95, w: 180, h: 221 },
      },
      faces_skipped: 0,
      time: 0.38,
      references_used: 3,
    },
  })
  result!: PersonVerificationResultDto;
}

export class ReferenceListItemDto {
  @ApiProperty({ example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817' })
  key!: string;

  @ApiProperty({ example: 'passport.jpg' })
  filename!: string;

  @ApiPropertyOptional({
    example: 'amy',
    description: 'Present when the reference was uploaded with a subject',
  })
  subject?: string;
}

export class ListReferencesResponseDto {
  @ApiProperty({ example: 1, description: 'How many references match, over all pages' })
  count!: number;

  @ApiProperty({ type: [ReferenceListItemDto], description: 'Oldest first' })
  references!: ReferenceListItemDto[];
}

export class SubjectCountDto {
  @ApiProperty({ example: 'amy' })
  subject!: string;

  @ApiProperty({ example: 3, description: 'References stored for the subject' })
  references!: number;
}

export class ListSubjectsResponseDto {
  @ApiProperty({ example: 1 })
  count!: number;

  @ApiProperty({ type: [SubjectCountDto], description: 'By name' })
  subjects!: SubjectCountDto[];
}

export class DeleteReferenceResponseDto {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({
    example: "Reference embedding with key '3f2b8c0e9d6a4b1f8e7d6c5b4a392817' has been deleted",
  })
  message!: string;
}

export class EnrolledFaceQualityDto {
  @ApiProperty({ description: "The detector's confidence, 0-1", example: 0.99 })
  detector_score!: number;

  @ApiProperty({
    description: 'Pixels between the eye centres, in the uploaded photo',
    example: 74,
  })
  inter_ocular!: number;

  @ApiProperty({
    description: 'Variance of the Laplacian of the inner face, at a fixed scale (blur: low)',
    example: 452,
  })
  sharpness!: number;

  @ApiProperty({
    description: "The nose tip's offset from the eyes' midpoint, in eye distances (0: frontal)",
    example: 0.02,
  })
  yaw!: number;

  @ApiProperty({ description: 'Tilt of the line through the eyes, in degrees', example: -1.5 })
  roll!: number;
}

export class ReferenceMetadataDto {
  @ApiProperty({ example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817' })
  key!: string;

  @ApiProperty({ example: 'passport.jpg' })
  filename!: string;

  @ApiProperty({ type: String, nullable: true, example: 'amy' })
  subject!: string | null;

  @ApiProperty({ example: 'image/jpeg', description: 'From the bytes, not from the client' })
  content_type!: string;

  @ApiProperty({ example: 34564 })
  size_bytes!: number;

  @ApiProperty({ type: FacialAreaDto, description: 'The enrolled face' })
  face_box!: FacialAreaDto;

  @ApiProperty({
    type: EnrolledFaceQualityDto,
    nullable: true,
    description: 'What the enrolled face measured; null when enrolled before it was measured',
  })
  face_quality!: EnrolledFaceQualityDto | null;

  @ApiProperty({ description: 'Weights and pipeline that made the embedding' })
  model!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    pattern: '^[0-9a-f]{64}$',
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description:
      'SHA-256 of the photo as uploaded, in hex: bulk enrolment skips a photo whose digest its ' +
      'subject already has. Null for photos stored encrypted before the digest was kept',
  })
  sha256!: string | null;

  @ApiProperty({ example: '2026-11-27T22:55:04.120Z' })
  created_at!: string;
}

export class VerifyResponseDto {
  @ApiProperty({ type: VerificationResultDto })
  result!: VerificationResultDto;
}

/** A verdict as DeepFace's verify reports it. */
export function toVerificationResult(verdict: Verdict): VerificationResultDto {
  const [reference, probe] = verdict.faces;
  return {
    verified: verdict.verified,
    distance: verdict.distance,
    threshold: verdict.threshold,
    ...(verdict.falseAcceptRate === undefined ? {} : { far: verdict.falseAcceptRate }),
    model: verdict.model,
    detector_backend: 'ssd_mobilenetv1',
    similarity_metric: 'cosine',
    facial_areas: { img1: toFacialArea(reference), img2: toFacialArea(probe) },
    faces_skipped: verdict.facesSkipped,
    time: verdict.seconds,
  };
}

/** A verdict on a person: the fields of `toVerificationResult`, and how many references counted. */
export function toPersonVerificationResult(verdict: PersonVerdict): PersonVerificationResultDto {
  return { ...toVerificationResult(verdict), references_used: verdict.referencesUsed };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** An enrolled face's measures, rounded to what they mean. */
export function toFaceQuality(quality: EnrolledFaceQuality): EnrolledFaceQualityDto {
  return {
    detector_score: round(quality.score, 4),
    inter_ocular: round(quality.interOcular, 1),
    sharpness: round(quality.sharpness, 1),
    yaw: round(quality.yaw, 3),
    roll: round(quality.roll, 1),
  };
}

export function toReferenceMetadata(found: ReferenceMetadata): ReferenceMetadataDto {
  return {
    key: found.key,
    filename: found.filename,
    subject: found.subject,
    content_type: found.contentType,
    size_bytes: found.sizeBytes,
    face_box: toFacialArea(found.box),
    face_quality: found.quality && toFaceQuality(found.quality),
    model: found.model,
    sha256: found.imageSha256,
    created_at: found.createdAt.toISOString(),
  };
}

/** The old service's answer; a photo it would have refused also says which face was taken. */
export function toUploadReferenceResponse(enrolment: Enrolment): UploadReferenceResponseDto {
  const { key, facesDetected } = enrolment;
  const saved = {
    success: true,
    message: `Reference embedding saved with key: ${key}`,
    key,
  } as const;
  return facesDetected > 1
    ? { ...saved, facial_area: toFacialArea(enrolment.box), faces_detected: facesDetected }
    : saved;
}
