package dev.tidemark.lint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.mongo.MongoEngine;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MongoDB rules on {@code runCommand} documents: dropping or renaming collections, {@code $unset} of fields (update
 * documents and pipelines), and dropping a unique index (known from earlier {@code createIndexes}).
 */
final class MongoLint {

    private static final JsonFactory JSON = new JsonFactory();

    private MongoLint() {
    }

    static void lint(List<MigrationScript> scripts, Linter.Sink sink) {
        Map<String, Set<String>> uniqueIndexes = new HashMap<>();
        for (MigrationScript s : scripts) {
            List<BsonDocument> commands = MongoEngine.parseCommands(s);
            List<Integer> lines = commandLines(s.content());
            for (int i = 0; i < commands.size(); i++) {
                command(s, i < lines.size() ? lines.get(i) : 1, commands.get(i), uniqueIndexes, sink);
            }
        }
    }

    private static void command(MigrationScript s, int line, BsonDocument c, Map<String, Set<String>> unique, Linter.Sink sink) {
        String name = c.getFirstKey();
        String collection = c.get(name).isString() ? c.getString(name).getValue() : "";
        switch (name) {
            case "drop" -> sink.add(Rule.MG001, s, line, "drop of collection '" + collection + "' deletes its documents");
            case "collMod" -> {
                String level = c.containsKey("validationLevel") && c.get("validationLevel").isString() ? c.getString("validationLevel").getValue() : "strict";
                String action = c.containsKey("validationAction") && c.get("validationAction").isString() ? c.getString("validationAction").getValue() : "error";
                if (c.containsKey("validator") && dev.tidemark.migration.Phase.of(s) == dev.tidemark.migration.Phase.EXPAND
                    && !("moderate".equals(level) && "warn".equals(action))) {
                    sink.add(Rule.MG005, s, line, "collMod of '" + collection + "' sets a validator with validationLevel " + level + " and validationAction "
                        + action + " in an expand migration: the running application's writes may be refused");
                }
            }
            case "dropDatabase" -> sink.add(Rule.MG001, s, line, "dropDatabase deletes every collection");
            case "renameCollection" -> sink.add(Rule.MG002, s, line, "renameCollection " + collection + " -> "
                + (c.containsKey("to") ? c.get("to").asString().getValue() : "?") + ": readers of the old name break");
            case "createIndexes" -> {
                for (BsonValue ix : c.getArray("indexes", new BsonArray())) {
                    if (ix.isDocument() && ix.asDocument().getBoolean("unique", org.bson.BsonBoolean.FALSE).getValue()) {
                        unique.computeIfAbsent(collection, k -> new java.util.HashSet<>()).add(ix.asDocument().getString("name").getValue());
                    }
                }
            }
            case "dropIndexes" -> {
                BsonValue index = c.get("index");
                List<String> names = new ArrayList<>();
                if (index != null && index.isString()) {
                    names.add(index.asString().getValue());
                } else if (index != null && index.isArray()) {
                    index.asArray().forEach(v -> names.add(v.isString() ? v.asString().getValue() : ""));
                }
                Set<String> known = unique.getOrDefault(collection, Set.of());
                for (String n : names) {
                    if (n.equals("*") ? !known.isEmpty() : known.contains(n)) {
                        sink.add(Rule.MG004, s, line, "dropIndexes '" + n + "' on '" + collection + "' drops a unique index: duplicates can come in");
                    }
                }
            }
            case "update" -> {
                for (BsonValue u : c.getArray("updates", new BsonArray())) {
                    if (u.isDocument() && unsets(u.asDocument().get("u"))) {
                        sink.add(Rule.MG003, s, line, "update of '" + collection + "' removes fields with $unset");
                    }
                }
            }
            case "findAndModify" -> {
                if (unsets(c.get("update"))) {
                    sink.add(Rule.MG003, s, line, "findAndModify on '" + collection + "' removes fields with $unset");
                }
            }
            default -> {
            }
        }
    }

    /** @return whether an update document or pipeline removes fields */
    private static boolean unsets(BsonValue update) {
        if (update == null) {
            return false;
        }
        if (update.isDocument()) {
            return update.asDocument().containsKey("$unset");
        }
        return update.isArray() && update.asArray().stream().anyMatch(stage -> stage.isDocument() && stage.asDocument().containsKey("$unset"));
    }

    /** @return the line of each command document of the top-level array, in order */
    private static List<Integer> commandLines(String content) {
        List<Integer> lines = new ArrayList<>();
        try (JsonParser p = JSON.createParser(content)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return lines;
            }
            JsonToken t;
            while ((t = p.nextToken()) != null && t != JsonToken.END_ARRAY) {
                if (t == JsonToken.START_OBJECT) {
                    lines.add(p.currentTokenLocation().getLineNr());
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            // parseCommands already accepted the file; positions are a convenience
        }
        return lines;
    }
}
