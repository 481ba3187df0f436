package dev.tidemark.bulk;

import dev.tidemark.error.ValidationException;

import java.nio.charset.StandardCharsets;

/**
 * Where the members of a JSON object or array lie in a byte array, found without parsing the values (RFC 8259's
 * grammar: strings, with their escapes, and brackets are followed; numbers and literals are not read). The bulk paths
 * use it to copy documents as bytes; a tokenizer would read every number of every document. Values are not validated:
 * Elasticsearch's own parser checks the documents it receives. Malformed structure is reported as a
 * {@link ValidationException} naming what was read and the byte offset.
 */
final class JsonSpans {

    /** Receives one object member. */
    @FunctionalInterface
    interface Member {
        /**
         * @param name the member's name, unescaped
         * @param start offset of its value's first byte
         * @param end offset just after its value
         */
        void accept(String name, int start, int end);
    }

    /** Receives one array element. */
    @FunctionalInterface
    interface Element {
        /**
         * @param start offset of the element's first byte
         * @param end offset just after it
         */
        void accept(int start, int end);
    }

    private final byte[] b;
    private final int from;
    private final int to;
    private final String what;

    /**
     * @param bytes the JSON text
     * @param from offset where the value starts (spaces allowed before it)
     * @param to offset just after it
     * @param what what the bytes are, for messages ("record 3 of part-00001.ndjson.gz")
     */
    JsonSpans(byte[] bytes, int from, int to, String what) {
        this.b = bytes;
        this.from = from;
        this.to = to;
        this.what = what;
    }

    private ValidationException malformed(int at, String expected) {
        return new ValidationException(what + " is not JSON: expected " + expected + " at byte " + (at - from));
    }

    /** @return the offset of the first byte at or after {@code i} that is no JSON space */
    int skipSpace(int i) {
        while (i < to && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    private int skipString(int i) {
        for (int j = i + 1; j < to; j++) {
            if (b[j] == '\\') {
                j++;
            } else if (b[j] == '"') {
                return j + 1;
            }
        }
        throw malformed(to, "the end of a string");
    }

    private int skipValue(int i) {
        if (i >= to) {
            throw malformed(i, "a value");
        }
        byte c = b[i];
        if (c == '"') {
            return skipString(i);
        }
        if (c == '{' || c == '[') {
            int depth = 0;
            int j = i;
            while (j < to) {
                byte x = b[j];
                if (x == '"') {
                    j = skipString(j);
                    continue;
                }
                if (x == '{' || x == '[') {
                    depth++;
                } else if (x == '}' || x == ']') {
                    depth--;
                    if (depth == 0) {
                        return j + 1;
                    }
                }
                j++;
            }
            throw malformed(to, "the end of " + (c == '{' ? "an object" : "an array"));
        }
        int j = i;
        while (j < to && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t') {
            j++;
        }
        if (j == i) {
            throw malformed(i, "a value");
        }
        return j;
    }

    /**
     * @param start offset of a value's first byte
     * @return the offset just after the value
     * @throws ValidationException when it does not end within these bytes
     */
    int valueEnd(int start) {
        return skipValue(start);
    }

    /**
     * Opens the container these bytes hold.
     *
     * @return the offset of its first member or element, or {@code -1} when it is empty
     */
    private int open(byte opening, byte closing) {
        int i = skipSpace(from);
        if (i >= to || b[i] != opening) {
            throw malformed(i, "'" + (char) opening + "'");
        }
        i = skipSpace(i + 1);
        return i < to && b[i] == closing ? -1 : i;
    }

    /**
     * @param end offset just after a member or element
     * @return the offset of the next one, or {@code -1} when the container closes after it
     */
    private int next(int end, byte closing) {
        int i = skipSpace(end);
        if (i < to && b[i] == ',') {
            return skipSpace(i + 1);
        }
        if (i < to && b[i] == closing) {
            return -1;
        }
        throw malformed(i, "',' or '" + (char) closing + "'");
    }

    /**
     * Calls {@code member} for each member of the object these bytes hold, in order.
     *
     * @throws ValidationException when they hold no well-formed object
     */
    void object(Member member) {
        for (int i = open((byte) '{', (byte) '}'); i >= 0; ) {
            if (i >= to || b[i] != '"') {
                throw malformed(i, "a member name");
            }
            int nameEnd = skipString(i);
            String name = string(i, nameEnd);
            i = skipSpace(nameEnd);
            if (i >= to || b[i] != ':') {
                throw malformed(i, "':'");
            }
            i = skipSpace(i + 1);
            int end = skipValue(i);
            member.accept(name, i, end);
            i = next(end, (byte) '}');
        }
    }

    /**
     * Calls {@code element} for each element of the array these bytes hold, in order.
     *
     * @throws ValidationException when they hold no well-formed array
     */
    void array(Element element) {
        for (int i = open((byte) '[', (byte) ']'); i >= 0; ) {
            int end = skipValue(i);
            element.accept(i, end);
            i = next(end, (byte) ']');
        }
    }

    /**
     * @param start offset of a string's opening quote
     * @param end offset just after its closing quote
     * @return the string, unescaped
     */
    String string(int start, int end) {
        for (int j = start + 1; j < end - 1; j++) {
            if (b[j] == '\\') {
                try {
                    return ExactJson.MAPPER.readValue(b, start, end - start, String.class);
                } catch (java.io.IOException e) {
                    throw malformed(start, "a string");
                }
            }
        }
        return new String(b, start + 1, end - start - 2, StandardCharsets.UTF_8);
    }

    /**
     * @param start offset of a value
     * @param end offset just after it
     * @return a string's text, a number's or boolean's literal, or {@code null} for {@code null}, objects and arrays
     */
    String scalar(int start, int end) {
        byte c = b[start];
        if (c == '"') {
            return string(start, end);
        }
        if (c == '{' || c == '[' || c == 'n') {
            return null;
        }
        return new String(b, start, end - start, StandardCharsets.UTF_8);
    }

    /**
     * @return whether a line end lies in {@code [start, end)}; within well-formed JSON it can only be a space between
     *         tokens, since strings hold theirs escaped
     */
    static boolean multiline(byte[] bytes, int start, int end) {
        for (int i = start; i < end; i++) {
            if (bytes[i] == '\n' || bytes[i] == '\r') {
                return true;
            }
        }
        return false;
    }
}
