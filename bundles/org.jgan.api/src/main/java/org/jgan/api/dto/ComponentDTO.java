package org.jgan.api.dto;

import java.util.List;
import org.osgi.dto.DTO;

/** An installed plug-in component. */
public class ComponentDTO extends DTO {
    /** architecture, loss, regularizer, penalty, constraint, reparametrization, dataset, metric or preset. */
    public String kind;
    public String name;
    public String description;
    public String bundle;
    public String bundleVersion;
    public List<OptionDTO> options;
    /** For presets: their settings as key=value. */
    public List<String> settings;
}
