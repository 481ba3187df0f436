package dev.tidemark.bulk;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.tidemark.error.ValidationException;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Elasticsearch documents moved as bytes: a search page is scanned once ({@link JsonSpans}) and each hit's
 * {@code _source} is copied as Elasticsearch sent it (the stored source, so every digit of every number is kept), and
 * an import line's {@code _source} goes into the {@code _bulk} body the same way. No document becomes a tree, except
 * one whose stored source spans lines (indexed pretty-printed), which is rewritten compact so that it stays one line.
 */
final class ElasticRecords {

    private static final byte[] ID = "{\"_id\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final byte[] SOURCE = ",\"_source\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final byte[] NULL = "null".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private ElasticRecords() {
    }

    /**
     * One search answer.
     *
     * @param lines each hit as an export line {@code {"_id": ..., "_source": {...}}\n}
     * @param sorts each hit's {@code sort} values, as JSON bytes
     * @param pitId the point in time id the answer carries, or {@code null}
     */
    record Page(List<byte[]> lines, List<byte[]> sorts, String pitId) {
    }

    private static byte[] quoted(String text) {
        byte[] inner = JsonStringEncoder.getInstance().quoteAsUTF8(text);
        byte[] out = new byte[inner.length + 2];
        out[0] = '"';
        System.arraycopy(inner, 0, out, 1, inner.length);
        out[out.length - 1] = '"';
        return out;
    }

    /**
     * @param json a {@code _search} answer
     * @return its hits as export lines, with their sort values
     * @throws ValidationException when the answer is no JSON object, or a hit has no {@code _source}
     */
    static Page page(byte[] json) {
        List<byte[]> lines = new ArrayList<>();
        List<byte[]> sorts = new ArrayList<>();
        String[] pit = new String[1];
        JsonSpans in = new JsonSpans(json, 0, json.length, "search answer");
        in.object((name, start, end) -> {
            if (name.equals("pit_id") && json[start] == '"') {
                pit[0] = in.string(start, end);
            } else if (name.equals("hits") && json[start] == '{') {
                new JsonSpans(json, start, end, "search answer").object((inner, from, to) -> {
                    if (inner.equals("hits") && json[from] == '[') {
                        new JsonSpans(json, from, to, "search answer").array((hitStart, hitEnd) -> hit(json, hitStart, hitEnd, lines, sorts));
                    }
                });
            }
        });
        return new Page(lines, sorts, pit[0]);
    }

    private static final byte[] SORT = "\"sort\":[".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final byte[] PIT = "{\"pit_id\":\"".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /**
     * Finds the last hit's sort values without reading the page: Elasticsearch writes each hit's {@code sort} after its
     * {@code _source}, and nothing follows the hits of a search without aggregations, so the last {@code "sort":[} of the
     * answer is the last hit's. {@link #page} reads them again, and the caller compares the two.
     *
     * @param json a {@code _search} answer
     * @return the sort values' JSON bytes, or {@code null} when the answer has no hit
     */
    static byte[] lastSort(byte[] json) {
        outer:
        for (int i = json.length - SORT.length; i >= 0; i--) {
            for (int k = 0; k < SORT.length; k++) {
                if (json[i + k] != SORT[k]) {
                    continue outer;
                }
            }
            int start = i + SORT.length - 1;
            return Arrays.copyOfRange(json, start, new JsonSpans(json, start, json.length, "search answer").valueEnd(start));
        }
        return null;
    }

    /**
     * @param json a {@code _search} answer
     * @return its {@code pit_id} when it is the answer's first member (as Elasticsearch writes it), else {@code null}
     */
    static String leadingPitId(byte[] json) {
        if (json.length < PIT.length || !Arrays.equals(json, 0, PIT.length, PIT, 0, PIT.length)) {
            return null;
        }
        JsonSpans in = new JsonSpans(json, 0, json.length, "search answer");
        int start = PIT.length - 1;
        return in.string(start, in.valueEnd(start));
    }

    private static void hit(byte[] json, int start, int end, List<byte[]> lines, List<byte[]> sorts) {
        int[] id = {-1, -1};
        int[] source = {-1, -1};
        int[] sort = {-1, -1};
        new JsonSpans(json, start, end, "search hit").object((name, from, to) -> {
            switch (name) {
                case "_id" -> {
                    id[0] = from;
                    id[1] = to;
                }
                case "_source" -> {
                    source[0] = from;
                    source[1] = to;
                }
                case "sort" -> {
                    sort[0] = from;
                    sort[1] = to;
                }
                default -> {
                }
            }
        });
        if (source[0] < 0 || json[source[0]] != '{') {
            throw new ValidationException("source.index: a hit has no _source (is _source disabled in the mapping?); the export needs it");
        }
        byte[] src;
        if (JsonSpans.multiline(json, source[0], source[1])) {
            src = ExactJson.write(ExactJson.read(Arrays.copyOfRange(json, source[0], source[1])));
        } else {
            src = null;
        }
        int idLength = id[0] < 0 ? 4 : id[1] - id[0];
        int srcLength = src != null ? src.length : source[1] - source[0];
        byte[] line = new byte[ID.length + idLength + SOURCE.length + srcLength + 2];
        int at = 0;
        System.arraycopy(ID, 0, line, at, ID.length);
        at += ID.length;
        if (id[0] < 0) {
            System.arraycopy(NULL, 0, line, at, 4);
        } else {
            System.arraycopy(json, id[0], line, at, idLength);
        }
        at += idLength;
        System.arraycopy(SOURCE, 0, line, at, SOURCE.length);
        at += SOURCE.length;
        if (src != null) {
            System.arraycopy(src, 0, line, at, srcLength);
        } else {
            System.arraycopy(json, source[0], line, at, srcLength);
        }
        at += srcLength;
        line[at++] = '}';
        line[at] = '\n';
        lines.add(line);
        sorts.add(sort[0] < 0 ? null : Arrays.copyOfRange(json, sort[0], sort[1]));
    }

    /**
     * One import line, split into what a {@code _bulk} body needs.
     *
     * @param id the document id, or {@code null} (Elasticsearch then makes one)
     * @param source the document's JSON bytes
     */
    record Document(String id, byte[] source) {
    }

    /**
     * Reads an import line: either {@code {"_id": ..., "_source": {...}}} (an export of Tidemark or elasticdump, {@code _id}
     * optional) or a plain document, whose id is then its field {@code idField} when given.
     *
     * @param line the record's bytes
     * @param idField the field holding plain documents' ids, or {@code null}
     * @param where "record N of part-…", for messages
     * @return the document
     * @throws ValidationException when the line is no JSON object, or a plain document lacks a scalar {@code idField}
     */
    static Document document(byte[] line, String idField, String where) {
        JsonSpans in = new JsonSpans(line, 0, line.length, where);
        int first = in.skipSpace(0);
        if (first >= line.length || line[first] != '{') {
            throw new ValidationException(where + " is not a JSON object");
        }
        int[] fields = {0};
        int[] id = {-1, -1};
        int[] source = {-1, -1};
        int[] field = {-1, -1};
        in.object((name, from, to) -> {
            fields[0]++;
            if (name.equals("_source")) {
                source[0] = from;
                source[1] = to;
            } else if (name.equals("_id")) {
                id[0] = from;
                id[1] = to;
            } else if (name.equals(idField)) {
                field[0] = from;
                field[1] = to;
            }
        });
        if (source[0] >= 0 && fields[0] <= 2 && (fields[0] == 1 || id[0] >= 0)) {
            if (line[source[0]] != '{') {
                throw new ValidationException(where + ": _source is not a JSON object");
            }
            return new Document(id[0] < 0 ? null : in.scalar(id[0], id[1]), Arrays.copyOfRange(line, source[0], source[1]));
        }
        String fieldId = field[0] < 0 ? null : in.scalar(field[0], field[1]);
        if (idField != null && fieldId == null) {
            throw new ValidationException("destination.idField: " + where + " has no scalar '" + idField + "'");
        }
        return new Document(fieldId, line);
    }

    /**
     * @param action {@code index} or {@code create}
     * @param id the document id, or {@code null}
     * @return the {@code _bulk} action line, newline included
     */
    static byte[] action(String action, String id) {
        if (id == null) {
            return "{\"index\":{}}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(id.length() + 24);
        out.writeBytes(("{\"" + action + "\":{\"_id\":").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.writeBytes(quoted(id));
        out.writeBytes("}}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
