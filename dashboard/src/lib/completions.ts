/** What the editors offer: MongoDB query and pipeline operators, and the script sandbox's `event` and `ctx`. */
export const MQL_OPERATORS = [
  "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$and", "$or", "$nor", "$not", "$exists", "$type", "$regex",
  "$options", "$elemMatch", "$size", "$all", "$mod", "$expr", "$text", "$search",
  "$set", "$unset", "$inc", "$push", "$pull", "$addToSet", "$rename", "$min", "$max", "$mul", "$currentDate",
  "$match", "$project", "$group", "$sort", "$limit", "$skip", "$unwind", "$lookup", "$count", "$addFields", "$facet",
  "$sum", "$avg", "$first", "$last", "$oid", "$date", "$numberDecimal", "$numberLong",
];

export const SCRIPT_MEMBERS: Record<string, [string, string][]> = {
  "": [["event", "the change event or schedule tick"], ["ctx", "api, fetch, log"]],
  event: [
    ["operationType", "insert | update | replace | delete"], ["collection", "collection name"], ["database", "database"],
    ["documentKey", "{ _id }"], ["fullDocument", "the document after the change"], ["fullDocumentBeforeChange", "before (updates)"],
    ["updateDescription", "updated and removed fields"], ["clusterTime", "when"], ["tenant", "tenant"], ["id", "event id"],
    ["scheduledTime", "cron: the tick's time"],
  ],
  ctx: [["api", "collections of this tenant"], ["fetch", "outbound HTTP (20 per run)"], ["log", "log a line"], ["scriptId", "this script"]],
  "ctx.api": [
    ["find", "(coll, filter, {sort, projection, limit, skip})"], ["findOne", "(coll, filter, projection)"], ["insert", "(coll, doc)"],
    ["insertMany", "(coll, docs)"], ["update", "(coll, filter, update)"], ["updateMany", "(coll, filter, update)"],
    ["replace", "(coll, filter, doc)"], ["delete", "(coll, filter)"], ["deleteMany", "(coll, filter)"], ["aggregate", "(coll, pipeline)"],
    ["count", "(coll, filter)"],
  ],
  "ctx.log": [["debug", ""], ["info", ""], ["warn", ""], ["error", ""]],
};
