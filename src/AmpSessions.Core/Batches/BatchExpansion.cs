using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Batches;

/// <summary>Turns a batch definition into its items: agent × (task prompt × repository, or task case), in file order.</summary>
public static class BatchExpansion
{
    public const int ItemIdLength = 12;

    public static IReadOnlyList<BatchItem> Expand(BatchDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var items = new List<BatchItem>();
        foreach (var agent in definition.Agents)
        {
            foreach (var task in definition.Tasks)
            {
                if (task.Type == BatchTaskType.Batch)
                {
                    for (var p = 0; p < task.Prompts.Count; p++)
                    {
                        foreach (var repository in task.Repositories)
                        {
                            items.Add(new BatchItem
                            {
                                Id = ItemId(agent.Id, task.Id, p.ToString(System.Globalization.CultureInfo.InvariantCulture), repository.Written),
                                AgentId = agent.Id,
                                TaskId = task.Id,
                                TaskType = task.Type,
                                Prompt = task.Prompts[p],
                                PromptIndex = p,
                                Repository = repository.Written,
                                RepositoryPath = repository.FullPath,
                                Base = task.BaseBranch,
                                ScriptCommand = task.ScriptCommand,
                            });
                        }
                    }
                }
                else if (task.InstancesFile is not null)
                {
                    foreach (var instance in task.Instances)
                    {
                        for (var sample = 0; sample < task.Samples; sample++)
                        {
                            // The first sample's id leaves the sample out, so adding samples keeps earlier results comparable.
                            string[] parts = sample == 0 ? [agent.Id, task.Id, "instance", instance.InstanceId]
                                : [agent.Id, task.Id, "instance", instance.InstanceId, sample.ToString(System.Globalization.CultureInfo.InvariantCulture)];
                            items.Add(new BatchItem
                            {
                                Id = ItemId(parts),
                                AgentId = agent.Id,
                                TaskId = task.Id,
                                TaskType = task.Type,
                                Prompt = instance.ProblemStatement,
                                PromptIndex = task.Samples > 1 ? sample : null,
                                CaseId = instance.InstanceId,
                                RepositoryPath = instance.RepositoryPath,
                                Base = instance.BaseCommit,
                                ScriptCommand = instance.VisibleCheck,
                            });
                        }
                    }
                }
                else
                {
                    foreach (var evaluationCase in task.Cases)
                    {
                        items.Add(new BatchItem
                        {
                            Id = ItemId(agent.Id, task.Id, "case", evaluationCase.Id),
                            AgentId = agent.Id,
                            TaskId = task.Id,
                            TaskType = task.Type,
                            Prompt = evaluationCase.Prompt,
                            CaseId = evaluationCase.Id,
                            RepositoryPath = evaluationCase.Repository,
                            Base = evaluationCase.Base ?? task.BaseBranch,
                            ScriptCommand = evaluationCase.GradeCommand,
                        });
                    }
                }
            }
        }
        var duplicate = items.GroupBy(i => i.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            // Only a hash collision gets here (the parser refuses duplicate ids and repositories).
            throw new AmpSessionsException("AmpBatchItemIdCollision", ErrorKind.InvalidArgument,
                $"Two items of '{definition.FilePath}' got the same id {duplicate.Key} ({string.Join(" and ", duplicate.Select(i => i.Label))}): rename one agent or task id.", duplicate.Key);
        }
        return items;
    }

    /// <summary>The first 12 hex digits of SHA-256 over the parts (NUL-separated), the same on every machine.</summary>
    public static string ItemId(params string[] parts) =>
        BatchFileParser.Hash(string.Join('\0', parts))[..ItemIdLength];
}
