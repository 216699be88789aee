using System.Text.Json;
using System.Text.Json.Nodes;
using TlbSim.Model.Hardware;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Cli;

/// <summary>The JSON Schema of scenario files, generated from the parameter declarations (<c>tlbsim schema</c>).</summary>
public static class Schema
{
    /// <summary>The schema as indented JSON.</summary>
    public static string Json()
    {
        var scenario = Section(typeof(ScenarioSettings), topLevel: true);
        var scenarioProps = (JsonObject)scenario["properties"]!;
        scenarioProps["name"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[A-Za-z0-9_-]+$", ["description"] = "Names the scenario in results" };
        scenarioProps["sweep"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "Parameter path -> list of values, or a range {from, to, step|factor}; several sweeps form a cross product",
            ["propertyNames"] = new JsonObject { ["enum"] = new JsonArray(ScenarioLoader.AllPaths().Select(p => (JsonNode)p).ToArray()) },
            ["additionalProperties"] = new JsonObject
            {
                ["oneOf"] = new JsonArray(
                    new JsonObject { ["type"] = "array", ["minItems"] = 1 },
                    new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject { ["from"] = new JsonObject(), ["to"] = new JsonObject(), ["step"] = new JsonObject(), ["factor"] = new JsonObject() },
                        ["required"] = new JsonArray("from", "to"),
                        ["additionalProperties"] = false,
                    }),
            },
        };
        var defaults = Section(typeof(ScenarioSettings), topLevel: true);
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "tlbsim scenario file",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("scenarios"),
            ["properties"] = new JsonObject
            {
                ["defaults"] = defaults,
                ["presets"] = new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["properties"] = new JsonObject
                    {
                        ["machine"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = Section(typeof(MachineParams), topLevel: false) },
                        ["workload"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = Section(typeof(WorkloadParams), topLevel: false) },
                    },
                },
                ["designs"] = DesignsSchema(),
                ["scenarios"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = scenario },
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Section(Type type, bool topLevel)
    {
        var props = new JsonObject();
        foreach (var p in ParamReflection.Params(type))
            props[p.Key] = p.IsSection ? Section(p.Type, false) : Leaf(p);
        if (type == typeof(MachineParams))
        {
            props["preset"] = new JsonObject { ["enum"] = new JsonArray(MachinePresets.All.Keys.Select(k => (JsonNode)k).ToArray()), ["description"] = "Start from a machine preset (or one defined under presets.machine)" };
            props["cpus"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["description"] = "Total logical CPUs; sets cores_per_socket" };
            props["preset_file"] = new JsonObject { ["type"] = "string", ["description"] = "A machine preset file (what tlbsim probe writes), relative to this file; instead of preset" };
            ((JsonObject)props["preset"]!).Remove("enum");
            props["preset"]!["type"] = "string";
            props["preset"]!["examples"] = new JsonArray(MachinePresets.All.Keys.Select(k => (JsonNode)k).ToArray());
        }
        if (type == typeof(Model.Linux.KernelParams))
            props["preset_file"] = new JsonObject { ["type"] = "string", ["description"] = "A preset file written by tlbsim probe, relative to this file: the kernel costs measured on its host" };
        if (type == typeof(WorkloadParams))
            props["preset"] = new JsonObject { ["type"] = "string", ["examples"] = new JsonArray(WorkloadPresets.All.Keys.Select(k => (JsonNode)k).ToArray()), ["description"] = "Start from a workload preset" };
        return new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = props, ["description"] = topLevel ? "Scenario settings" : ParamReflection.Snake(type.Name) };
    }

    private static JsonObject Leaf(ParamInfo p)
    {
        var o = new JsonObject { ["description"] = p.Declaration?.Description + (p.Declaration?.Source is { Length: > 0 } s ? $" (source: {s})" : "") };
        var t = p.Type;
        if (t == typeof(Duration))
            Pattern(o, @"^\s*[0-9.eE+-]+\s*(ps|ns|us|µs|ms|s)\s*$", "150ns");
        else if (t == typeof(Frequency))
            Pattern(o, @"^\s*[0-9.eE+-]+\s*(Hz|kHz|MHz|GHz)\s*$", "2.6GHz");
        else if (t == typeof(ByteSize))
            Pattern(o, @"^\s*[0-9.eE+-]+\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)\s*$", "64GiB");
        else if (t == typeof(int) || t == typeof(long))
            o["type"] = "integer";
        else if (t == typeof(double))
            o["type"] = "number";
        else if (t == typeof(bool))
            o["type"] = "boolean";
        else if (t.IsEnum)
            o["enum"] = new JsonArray(ParamReflection.EnumNames(t).Select(n => (JsonNode)n).ToArray());
        else if (t == typeof(IReadOnlyList<string>) || t == typeof(IReadOnlyList<MechanismChoice>))
            o["type"] = "array";
        else if (p.IsRecordList)
            o["type"] = "array";
        else
            o["type"] = "string";
        if (t == typeof(IReadOnlyList<MechanismChoice>))
        {
            o["items"] = new JsonObject
            {
                ["oneOf"] = new JsonArray(
                    new JsonObject { ["type"] = "string", ["examples"] = new JsonArray(Designs.Builtin.Names.Select(n => (JsonNode)n).ToArray()) },
                    new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = new JsonArray("name"),
                        ["description"] = "A design with its own options: name, label, mechanism parameters (as under mechanism) and the design's params",
                        ["properties"] = new JsonObject { ["name"] = new JsonObject { ["type"] = "string" }, ["label"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[A-Za-z0-9_.-]+$" } },
                    }),
            };
        }
        if (p.IsRecordList)
            o["items"] = Section(t.GetGenericArguments()[0], false);
        return o;
    }

    /// <summary>The file's designs: each a name mapped to its steps, every step a primitive or a block.</summary>
    private static JsonObject DesignsSchema()
    {
        var step = new JsonObject
        {
            ["description"] = "A primitive ('- write') or one primitive or block with its arguments ('- set_memory_ro: {pages: 1}'); tlbsim describe primitives lists them",
            ["oneOf"] = new JsonArray(
                new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(TlbSim.Model.Mechanisms.Sequences.Primitives.All.Select(p => (JsonNode)p.Name).ToArray()) },
                new JsonObject
                {
                    ["type"] = "object",
                    ["minProperties"] = 1,
                    ["maxProperties"] = 1,
                    ["propertyNames"] = new JsonObject { ["enum"] = new JsonArray(DesignLoader.StepNames.Select(n => (JsonNode)n).ToArray()) },
                }),
        };
        return new JsonObject
        {
            ["type"] = "object",
            ["description"] = "Designs written as sequences of the kernel's primitives, used in mechanisms like the built-in ones",
            ["additionalProperties"] = new JsonObject
            {
                ["type"] = "object",
                ["required"] = new JsonArray("steps"),
                ["additionalProperties"] = false,
                ["properties"] = new JsonObject
                {
                    ["description"] = new JsonObject { ["type"] = "string" },
                    ["params"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0 } },
                    ["hooks"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["enum"] = new JsonArray(TlbSim.Model.Mechanisms.Sequences.Primitives.Hooks.Keys.Select(k => (JsonNode)k).ToArray()) } },
                    ["steps"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = step },
                },
            },
        };
    }

    private static void Pattern(JsonObject o, string pattern, string example)
    {
        o["type"] = "string";
        o["pattern"] = pattern;
        o["examples"] = new JsonArray(example);
    }
}
