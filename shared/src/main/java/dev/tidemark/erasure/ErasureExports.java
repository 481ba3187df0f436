package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.bulk.BulkFormat;
import dev.tidemark.bulk.Manifest;
import dev.tidemark.bulk.PartCheck;
import dev.tidemark.bulk.S3MultipartOutputStream;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.StoreException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.Store;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Bulk exports are personal data too (GDPR Art. 17): after an erasure, the exports in the bulk bucket whose source is a
 * table, collection or index of the erasure plan are read part by part (each checked against its manifest: size,
 * SHA-256, records), and the subject's records counted; when the request asks for it, the parts that hold the subject
 * are written again without its records, so that a later import cannot bring it back.
 * <ul>
 *   <li>A record is the subject's when the plan's match column or field holds the subject id: a CSV column by the
 *       header; an NDJSON row's field, a MongoDB document's field (Extended JSON numbers unwrapped), an Elasticsearch
 *       hit's {@code _source} field. An anonymised item's records are dropped too: the export keeps no copy of what the
 *       store anonymised.</li>
 *   <li>The rewrite never loses data: the new parts and manifest are written under {@code <export>_rewrite/<requestId>/}
 *       first, then copied over the old parts (same names, as import expects), the new {@code manifest.json} (new rows,
 *       bytes, SHA-256 and totals) put last, and the staging deleted; a rewrite cut off in between is finished by the
 *       next run of the same request before anything else.</li>
 *   <li>Not checked, and said so: exports of a query (their rows' origin is unknown), of an item the plan reaches
 *       through a join, of a target without a plan.</li>
 * </ul>
 * Memory stays bounded: records stream through, one at a time.
 */
public final class ErasureExports {

    private static final String STAGING = "_rewrite/";
    private static final String WHAT = "erasure exports";

    private final java.util.function.Supplier<S3Client> s3;
    private final String bucket;

    /**
     * @param s3 the S3 client
     * @param bucket the bulk bucket
     */
    public ErasureExports(java.util.function.Supplier<S3Client> s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    /**
     * What became of one export.
     *
     * @param location {@code s3://bucket/prefix/}
     * @param target its source's target
     * @param source its source table, collection or index
     * @param status {@code CLEAN} (no record of the subject), {@code HOLDS_SUBJECT} (records found, no rewrite asked),
     *               {@code REWRITTEN}, or {@code NOT_CHECKED} (a query export or a join path: review by hand)
     * @param records the subject's records found (and removed when {@code REWRITTEN})
     * @param partsRewritten parts written again
     */
    public record Outcome(String location, String target, String source, String status, long records, int partsRewritten) {
    }

    /**
     * @param plans a target's plan, or empty when it has none
     * @param subjectId the subject id
     * @param rewrite whether to rewrite the exports that hold the subject
     * @param requestId the request, naming the staging of a rewrite
     * @return one outcome per export whose source the plans name, in key order
     * @throws ConnectionException when S3 cannot be reached (retry: a run goes on from where the last stopped)
     * @throws dev.tidemark.error.ManifestMismatchException when a part does not match its manifest (nothing rewritten)
     */
    public List<Outcome> run(Function<String, Optional<ErasurePlan>> plans, String subjectId, boolean rewrite, String requestId) {
        List<Outcome> out = new ArrayList<>();
        try {
            List<String> manifests = new ArrayList<>();
            String ownStaging = STAGING + requestId + "/";
            java.util.Set<String> cutOff = new java.util.HashSet<>(); // exports with a staged rewrite of this request
            for (S3Object o : s3.get().listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                int at = o.key().indexOf(ownStaging);
                if (at >= 0 && (at == 0 || o.key().charAt(at - 1) == '/')) {
                    cutOff.add(o.key().substring(0, at));
                }
                boolean staged = o.key().startsWith(STAGING) || o.key().contains("/" + STAGING);
                if ((o.key().endsWith("/" + Manifest.FILE) || o.key().equals(Manifest.FILE)) && !staged) {
                    manifests.add(o.key());
                }
            }
            java.util.Collections.sort(manifests);
            for (String key : manifests) {
                String prefix = key.substring(0, key.length() - Manifest.FILE.length());
                if (cutOff.contains(prefix)) {
                    finishRewrite(prefix, requestId); // a rewrite of this request was cut off: finish it (the listing above saw it)
                }
                Manifest m = Json.MAPPER.readValue(s3.get().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray(), Manifest.class);
                if (m.source() == null || m.source().target() == null || m.parts() == null) {
                    continue;
                }
                Optional<ErasurePlan> plan = plans.apply(m.source().target());
                String location = "s3://" + bucket + "/" + prefix;
                if (plan.isEmpty()) {
                    continue;
                }
                if (m.source().query() != null) {
                    out.add(new Outcome(location, m.source().target(), "query", "NOT_CHECKED", 0, 0));
                    continue;
                }
                Optional<ErasurePlan.Item> item = plan.get().items().stream().filter(i -> names(m.source(), i)).findFirst();
                if (item.isEmpty()) {
                    continue;
                }
                if (!item.get().through().isEmpty()) {
                    out.add(new Outcome(location, m.source().target(), m.source().name(), "NOT_CHECKED", 0, 0));
                    continue;
                }
                SubjectId subject = SubjectId.parse(subjectId, plan.get().idType(), "subject.id");
                out.add(scrub(prefix, location, m, item.get().match(), subject.value(), rewrite, requestId));
            }
            return out;
        } catch (S3Exception e) {
            throw ErasureObjects.failure(e, WHAT, "reading the bulk bucket");
        } catch (SdkClientException e) {
            throw ErasureObjects.unreachable(WHAT, e);
        } catch (IOException e) {
            throw new StoreException(WHAT + ": reading or writing an export failed: " + e.getClass().getSimpleName(), e);
        }
    }

    private static boolean names(Manifest.Source source, ErasurePlan.Item item) {
        String name = source.name();
        if (name == null) {
            return false;
        }
        if (source.store() == Store.POSTGRES) {
            return name.equals(item.schema() + "." + item.name()) || ("public".equals(item.schema()) && name.equals(item.name()));
        }
        return name.equals(item.name());
    }

    private Outcome scrub(String prefix, String location, Manifest m, String match, String id, boolean rewrite, String requestId)
        throws IOException {
        long[] found = new long[m.parts().size()];
        long total = 0;
        for (int i = 0; i < m.parts().size(); i++) {
            found[i] = filter(prefix, m, m.parts().get(i), match, id, null);
            total += found[i];
        }
        if (total == 0) {
            return new Outcome(location, m.source().target(), m.source().name(), "CLEAN", 0, 0);
        }
        if (!rewrite) {
            return new Outcome(location, m.source().target(), m.source().name(), "HOLDS_SUBJECT", total, 0);
        }
        String staging = prefix + STAGING + requestId + "/";
        List<Manifest.Part> parts = new ArrayList<>(m.parts());
        int rewritten = 0;
        for (int i = 0; i < parts.size(); i++) {
            if (found[i] == 0) {
                continue;
            }
            Manifest.Part old = parts.get(i);
            String key = staging + old.file();
            S3MultipartOutputStream upload = new S3MultipartOutputStream(s3, bucket, key, S3MultipartOutputStream.MIN_CHUNK);
            try (OutputStream compressed = m.compression().compress(upload)) {
                filter(prefix, m, old, match, id, compressed);
            } catch (IOException | RuntimeException e) {
                upload.abort();
                throw e;
            }
            parts.set(i, new Manifest.Part(old.file(), old.rows() - found[i], upload.bytes(), upload.sha256()));
            rewritten++;
        }
        Manifest rewrittenManifest = new Manifest(m.formatVersion(), m.format(), m.compression(), m.source(), m.sourceSchemaVersion(), parts,
            parts.stream().mapToLong(Manifest.Part::rows).sum(), parts.stream().mapToLong(Manifest.Part::bytes).sum(), m.startedAt(),
            m.finishedAt(), m.tidemarkVersion());
        s3.get().putObject(b -> b.bucket(bucket).key(staging + Manifest.FILE).contentType("application/json"),
            RequestBody.fromBytes(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(rewrittenManifest)));
        finishRewrite(prefix, requestId);
        return new Outcome(location, m.source().target(), m.source().name(), "REWRITTEN", total, rewritten);
    }

    /** Completes a staged rewrite: its parts over the old ones, then its manifest, then the staging is deleted. */
    private void finishRewrite(String prefix, String requestId) {
        String staging = prefix + STAGING + requestId + "/";
        List<String> staged = new ArrayList<>();
        for (S3Object o : s3.get().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(staging)).contents()) {
            staged.add(o.key());
        }
        if (!staged.contains(staging + Manifest.FILE)) {
            for (String k : staged) {
                s3.get().deleteObject(b -> b.bucket(bucket).key(k)); // an unfinished staging: the old export still stands
            }
            return;
        }
        for (String k : staged) {
            if (!k.endsWith("/" + Manifest.FILE)) {
                String target = prefix + k.substring(staging.length());
                s3.get().copyObject(b -> b.sourceBucket(bucket).sourceKey(k).destinationBucket(bucket).destinationKey(target));
            }
        }
        s3.get().copyObject(b -> b.sourceBucket(bucket).sourceKey(staging + Manifest.FILE).destinationBucket(bucket).destinationKey(prefix
            + Manifest.FILE));
        for (String k : staged) {
            s3.get().deleteObject(b -> b.bucket(bucket).key(k));
        }
    }

    /**
     * Reads one part (checked against the manifest) and counts the subject's records; with {@code out}, writes every
     * other record to it, byte for byte.
     */
    private long filter(String prefix, Manifest m, Manifest.Part part, String match, String id, OutputStream out) {
        try (InputStream stored = s3.get().getObject(b -> b.bucket(bucket).key(prefix + part.file()));
             PartCheck check = new PartCheck(stored, part, m.compression())) {
            RecordReader records = new RecordReader(check.records(), m.format());
            long rows = 0;
            long subject = 0;
            int column = -1;
            if (m.format() == BulkFormat.CSV) {
                byte[] header = records.next();
                if (header != null) {
                    column = csvFields(header).indexOf(match);
                    if (out != null) {
                        out.write(header);
                    }
                }
            }
            byte[] record;
            while ((record = records.next()) != null) {
                rows++;
                boolean theSubject = m.format() == BulkFormat.CSV ? column >= 0 && id.equals(nthCsvField(record, column))
                    : id.equals(jsonValue(record, m.source().store(), match));
                if (theSubject) {
                    subject++;
                } else if (out != null) {
                    out.write(record);
                }
            }
            check.verify(rows);
            return subject;
        } catch (NoSuchKeyException e) {
            throw new StoreException(WHAT + ": part " + part.file() + " of " + prefix + " is missing", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (S3Exception e) {
            throw ErasureObjects.failure(e, WHAT, "reading a part");
        }
    }

    /** The subject-matching value of an NDJSON record, as text, or {@code null}. */
    private static String jsonValue(byte[] record, Store store, String field) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(record);
        } catch (IOException e) {
            throw new StoreException(WHAT + ": a record is not JSON", e);
        }
        JsonNode v = store == Store.ELASTICSEARCH ? n.path("_source").path(field) : n.path(field);
        if (v.isObject()) {
            for (String wrapper : List.of("$numberLong", "$numberInt", "$numberDecimal", "$uuid", "$oid")) {
                if (v.has(wrapper)) {
                    return v.path(wrapper).asText();
                }
            }
            return null;
        }
        return v.isValueNode() && !v.isNull() ? v.asText() : null;
    }

    private static List<String> csvFields(byte[] line) {
        List<String> out = new ArrayList<>();
        for (int i = 0; ; i++) {
            String f = nthCsvField(line, i);
            if (f == null) {
                return out;
            }
            out.add(f);
        }
    }

    /** The n-th field of a CSV record (RFC 4180 quoting), unquoted; {@code null} past the last. */
    static String nthCsvField(byte[] record, int n) {
        String s = new String(record, StandardCharsets.UTF_8);
        int end = s.endsWith("\r\n") ? s.length() - 2 : s.endsWith("\n") ? s.length() - 1 : s.length();
        int field = 0;
        int i = 0;
        while (i <= end) {
            StringBuilder value = new StringBuilder();
            if (i < end && s.charAt(i) == '"') {
                i++;
                while (i < end) {
                    char c = s.charAt(i);
                    if (c == '"' && i + 1 < end && s.charAt(i + 1) == '"') {
                        value.append('"');
                        i += 2;
                    } else if (c == '"') {
                        i++;
                        break;
                    } else {
                        value.append(c);
                        i++;
                    }
                }
            }
            while (i < end && s.charAt(i) != ',') {
                value.append(s.charAt(i));
                i++;
            }
            if (field == n) {
                return value.toString();
            }
            field++;
            i++; // past the comma
            if (i > end) {
                return null;
            }
        }
        return null;
    }

    /** Splits decompressed part data into records, each with its line end: NDJSON lines, or CSV lines outside quotes. */
    private static final class RecordReader {
        private final InputStream in;
        private final boolean csv;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int len;

        RecordReader(InputStream in, BulkFormat format) {
            this.in = in;
            this.csv = format == BulkFormat.CSV;
        }

        byte[] next() throws IOException {
            ByteArrayOutputStream record = new ByteArrayOutputStream();
            boolean quoted = false;
            while (true) {
                if (pos == len) {
                    len = in.read(buf);
                    pos = 0;
                    if (len <= 0) {
                        len = 0;
                        return record.size() == 0 ? null : record.toByteArray();
                    }
                }
                byte b = buf[pos++];
                record.write(b);
                if (csv && b == '"') {
                    quoted = !quoted;
                } else if (b == '\n' && !quoted) {
                    return record.toByteArray();
                }
            }
        }
    }
}
