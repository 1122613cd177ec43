package io.shoal.spi;

/**
 * An optional component started with the node ({@code plugins = [name, ...]}), for example the
 * change-log node or the stats page. Depends on {@code engine-api} only.
 *
 * <p><b>Lifecycle.</b> {@link #start} is called once on the thread that starts the node, after the
 * engine is ready and in the order the plugins are listed; {@link #stop} in reverse order when the
 * node closes, also on the closing thread, and only if {@code start} returned normally. Both may
 * block briefly (opening a file or a socket); long work belongs on the plugin's own threads,
 * which {@code stop} must end.
 *
 * <p><b>Errors.</b> An exception from {@code start} aborts the node's start (everything already
 * started is stopped). An exception from {@code stop} is logged and the shutdown goes on.
 */
public interface Plugin {

    void start(PluginContext context);

    void stop();
}
