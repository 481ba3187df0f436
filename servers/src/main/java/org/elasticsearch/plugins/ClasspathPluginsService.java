package org.elasticsearch.plugins;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link PluginsService} whose plugins are classes already on the class path, instantiated directly instead of
 * being read from a {@code plugins/} directory. It lives in Elasticsearch's package because the hooks it overrides
 * are package-private; it is only used by the embedded test and local node.
 */
public final class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> loaded;

    /**
     * @param settings the node settings
     * @param environment the node environment (its config path is handed to the plugins)
     * @param plugins plugin instances, e.g. {@code new Netty4Plugin()}
     */
    public ClasspathPluginsService(Settings settings, Environment environment, List<Plugin> plugins) {
        super(settings, environment.configDir(), new PluginsLoader(Set.of(), Set.of(), Map.of()));
        this.loaded = plugins.stream().map(p -> new LoadedPlugin(descriptor(p.getClass()), p, p.getClass().getClassLoader())).toList();
    }

    /** An empty loader: nothing is read from disk. */
    public static PluginsLoader emptyLoader() {
        return new PluginsLoader(Set.of(), Set.of(), Map.of());
    }

    private static PluginDescriptor descriptor(Class<?> type) {
        return new PluginDescriptor(type.getName(), "classpath plugin", "NA", "8.19.0", Integer.toString(Runtime.version().feature()),
            type.getName(), null, List.of(), false, false, false, false);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }
}
