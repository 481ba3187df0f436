package dev.tidemark.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tidemark.error.ValidationException;

import java.io.IOException;
import java.io.InputStream;

/**
 * The one Jackson configuration used for events and results: ISO-8601 instants, absent values omitted, unknown
 * properties rejected (a misspelt field in an event is an error, not silently ignored).
 */
public final class Json {

    /** Shared, thread-safe mapper. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Json() {
    }

    /** Deepest nesting of objects and arrays an event may have. */
    public static final int MAX_EVENT_DEPTH = 32;
    /** Longest string (value or key) an event may hold, in characters: 64 Ki. */
    public static final int MAX_EVENT_STRING = 64 * 1024;

    /**
     * Reads events: one JSON value and nothing after it, no key twice in an object, at most {@link #MAX_EVENT_DEPTH}
     * levels, strings of at most {@link #MAX_EVENT_STRING} characters, numbers of at most 64 digits.
     */
    private static final ObjectMapper EVENTS = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_EVENT_DEPTH).maxStringLength(MAX_EVENT_STRING)
            .maxNameLength(1024).maxNumberLength(64).maxDocumentLength(4L * 1024 * 1024).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build())
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Reads a function's input event, strictly: one JSON value with nothing after it, no duplicate keys, bounded depth,
     * string and number sizes (4 MiB in all). The error names the line and column and the kind of problem, never the
     * parser's own message.
     *
     * @param input the event stream
     * @return the event as a JSON tree
     * @throws ValidationException naming {@code event} when it is not one valid JSON value within those limits
     * @throws IOException when the stream cannot be read
     */
    public static JsonNode readEvent(InputStream input) throws IOException {
        return readStrict(input, "event");
    }

    /**
     * Reads a JSON document from input someone else wrote (an event, an erasure plan) with the limits of
     * {@link #readEvent}.
     *
     * @param input the document
     * @param what the name used in error messages ({@code event}, {@code erasure.json})
     * @return the document as a JSON tree
     * @throws ValidationException naming {@code what} when it is not one valid JSON value within the limits
     * @throws IOException when the stream cannot be read
     */
    public static JsonNode readStrict(InputStream input, String what) throws IOException {
        try {
            return EVENTS.readTree(input);
        } catch (StreamConstraintsException e) {
            throw new ValidationException(what + ": exceeds the limits for events (nesting depth " + MAX_EVENT_DEPTH + ", strings of "
                + MAX_EVENT_STRING + " characters, keys of 1024, numbers of 64 digits, 4 MiB in all)");
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            String problem;
            if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException) {
                problem = "content after the JSON value";
            } else if (String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")) {
                problem = "a key given twice in one object";
            } else {
                problem = "malformed JSON";
            }
            throw new ValidationException(what + ": not one valid JSON value" + where + ": " + problem);
        }
    }
}
