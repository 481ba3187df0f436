package dev.tidemark.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
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

    /**
     * Reads a function's input event.
     *
     * @param input the event stream
     * @return the event as a JSON tree
     * @throws ValidationException naming the event when it is not valid JSON
     * @throws IOException when the stream cannot be read
     */
    public static JsonNode readEvent(InputStream input) throws IOException {
        try {
            return MAPPER.readTree(input);
        } catch (JsonProcessingException e) {
            throw new ValidationException("event: not valid JSON: " + e.getOriginalMessage());
        }
    }
}
