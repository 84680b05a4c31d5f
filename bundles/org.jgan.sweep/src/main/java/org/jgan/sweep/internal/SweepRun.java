package org.jgan.sweep.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run of a sweep: its place in the manifest, its name, its cell (the grid's labels, the run's name without the
 * seed) and what it trains.
 *
 * @param index    its line in the manifest, from 0 (the Slurm array index)
 * @param labels   axis name to the level's label, in the grid's order
 * @param seed     the seed, or null when the spec gives none
 * @param preset   the preset, or null
 * @param settings every setting the run is started with, {@code name} and {@code seed} included
 */
public record SweepRun(int index, String name, String cell, Map<String, String> labels, Long seed, String preset,
        Map<String, String> settings) {

    /**
     * The runs of a spec, seed by seed (every cell of the first seed, then of the next), so that a sweep cut short
     * still compares the cells on the same seeds; within a seed the first axis varies slowest.
     *
     * @throws IllegalArgumentException when two axes set one setting, or two cells would share a name
     */
    public static List<SweepRun> expand(SweepSpec spec, String source) {
        List<Map<Axis, Axis.Level>> cells = new ArrayList<>();
        cells.add(new LinkedHashMap<>());
        for (Axis axis : spec.axes()) {
            List<Map<Axis, Axis.Level>> next = new ArrayList<>();
            for (Map<Axis, Axis.Level> cell : cells) {
                for (Axis.Level level : axis.levels()) {
                    Map<Axis, Axis.Level> c = new LinkedHashMap<>(cell);
                    c.put(axis, level);
                    next.add(c);
                }
            }
            cells = next;
        }
        List<Long> seeds = spec.seeds().isEmpty() ? Collections.singletonList(null) : spec.seeds();
        List<SweepRun> runs = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        for (Long seed : seeds) {
            for (Map<Axis, Axis.Level> cell : cells) {
                runs.add(run(spec, source, runs.size(), cell, seed, names));
            }
        }
        return List.copyOf(runs);
    }

    private static SweepRun run(SweepSpec spec, String source, int index, Map<Axis, Axis.Level> cell,
            Long seed, Map<String, String> names) {
        String preset = spec.preset();
        Map<String, String> settings = new LinkedHashMap<>(spec.settings());
        Map<String, String> setBy = new HashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        StringBuilder cellName = new StringBuilder(spec.name());
        for (Map.Entry<Axis, Axis.Level> e : cell.entrySet()) {
            String axis = e.getKey().name();
            labels.put(axis, e.getValue().label());
            cellName.append('-').append(e.getValue().label());
            for (Map.Entry<String, String> s : e.getValue().settings().entrySet()) {
                String other = setBy.put(s.getKey(), axis);
                if (other != null) {
                    throw SpecJson.fail(source, "grid axes '" + other + "' and '" + axis + "' both set '" + s.getKey()
                            + "'; expected each setting on one axis");
                }
                if (s.getKey().equals("preset")) {
                    preset = s.getValue();
                } else {
                    settings.put(s.getKey(), s.getValue());
                }
            }
        }
        String cellString = cellName.toString();
        String name = seed == null ? cellString : cellString + "-s" + seed;
        String same = names.put(name, labels.toString());
        if (same != null) {
            throw SpecJson.fail(source, "cells " + same + " and " + labels + " would both be named '" + name
                    + "'; expected labels that tell the cells apart");
        }
        settings.remove("preset");
        settings.put("name", name);
        if (seed != null) {
            settings.put("seed", Long.toString(seed));
        }
        return new SweepRun(index, name, cellString, Collections.unmodifiableMap(labels), seed, preset,
                Collections.unmodifiableMap(settings));
    }

    /** The arguments {@code gan:start} and {@code runtime/jgan run} take for this run: [preset] key=value ... */
    public List<String> arguments() {
        List<String> args = new ArrayList<>();
        if (preset != null) {
            args.add(preset);
        }
        settings.forEach((k, v) -> args.add(k + "=" + v));
        return args;
    }

    /** Its manifest line: index, name, then the arguments, separated by tabs. */
    public String manifestLine() {
        return index + "\t" + name + "\t" + String.join("\t", arguments());
    }
}
