package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the local runtime reads from {@code template.yaml}: the functions (logical id, handler, timeout, memory) and the
 * state machines (definition file and substitutions). CloudFormation tags ({@code !Ref}, {@code !Sub}) are read as
 * their plain values.
 */
public final class SamTemplate {

    /**
     * A function of the template.
     *
     * @param logicalId its logical id, also its local function name
     * @param handler {@code class::method}
     * @param timeoutSeconds timeout (numbers only; a parameter reference falls back to 900)
     * @param memoryMb memory (a parameter reference falls back to the parameter's default or 1024)
     */
    public record Function(String logicalId, String handler, int timeoutSeconds, int memoryMb) {
        /** @return the handler's class name */
        public String handlerClass() {
            int i = handler.indexOf("::");
            return i < 0 ? handler : handler.substring(0, i);
        }
    }

    /**
     * A state machine of the template.
     *
     * @param logicalId its logical id
     * @param definitionUri the ASL file, relative to the template
     * @param substitutions placeholder to function logical id, from {@code !Ref Fn.Alias} or {@code !GetAtt Fn.Arn}
     */
    public record StateMachine(String logicalId, String definitionUri, Map<String, String> substitutions) {
    }

    private final JsonNode root;

    private SamTemplate(JsonNode root) {
        this.root = root;
    }

    /** @param file the template @return the parsed template */
    public static SamTemplate read(Path file) {
        try {
            return new SamTemplate(new ObjectMapper(new YAMLFactory()).readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private int number(JsonNode value, int fallback) {
        if (value == null || value.isMissingNode()) {
            return fallback;
        }
        if (value.canConvertToInt() || value.asText().matches("\\d+")) {
            return value.asInt();
        }
        JsonNode dflt = root.path("Parameters").path(value.asText()).path("Default");
        return dflt.isMissingNode() ? fallback : dflt.asInt(fallback);
    }

    /** @return every {@code AWS::Serverless::Function}, in template order */
    public List<Function> functions() {
        List<Function> out = new ArrayList<>();
        JsonNode globals = root.path("Globals").path("Function");
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!"AWS::Serverless::Function".equals(e.getValue().path("Type").asText())) {
                continue;
            }
            JsonNode p = e.getValue().path("Properties");
            int timeout = number(p.has("Timeout") ? p.get("Timeout") : globals.get("Timeout"), 3);
            int memory = number(p.has("MemorySize") ? p.get("MemorySize") : globals.get("MemorySize"), 128);
            out.add(new Function(e.getKey(), p.path("Handler").asText(), timeout, memory));
        }
        return out;
    }

    /** @return every {@code AWS::Serverless::StateMachine} */
    public List<StateMachine> stateMachines() {
        List<StateMachine> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!"AWS::Serverless::StateMachine".equals(e.getValue().path("Type").asText())) {
                continue;
            }
            JsonNode p = e.getValue().path("Properties");
            Map<String, String> subs = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> s = p.path("DefinitionSubstitutions").fields(); s.hasNext(); ) {
                Map.Entry<String, JsonNode> sub = s.next();
                String ref = sub.getValue().isArray() ? sub.getValue().get(0).asText() : sub.getValue().asText();
                subs.put(sub.getKey(), ref.replaceAll("\\.(Alias|Arn)$", ""));
            }
            out.add(new StateMachine(e.getKey(), p.path("DefinitionUri").asText(), subs));
        }
        return out;
    }
}
